"""Typed work survives an ended session (issue 17 item 1: "A form posted after the session
ended (idle timeout, cookie gone) keeps what was typed").

When a form is posted and the session has ended, what it carried is stored on the server
(`KeptForm`: never in the URL, never passwords, tokens or files) under a random key held
in the browser's signed session, and the user is sent to sign in with the form's page as
the place to return to. Sign-in shows "登录已超时，请重新登录，您填写的内容已保留"; back on
the form's page, every form there whose fields were posted is filled in from the kept
values instead of its defaults, ready to submit (files must be chosen again, and the page
says so). A row is used once, by the user whose session ended (or, when the cookie was
gone and nobody is known, by whoever signs in on that browser), and lives
`KEPT_FORM_MINUTES` at most.

Only a same-site post is kept (its Origin or Referer is this site), so another site cannot
plant text in somebody's form.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import MultiDict

from portal.domain.models import KeptForm
from portal.extensions import db

KEY = "kept_form"
# Never kept: the CSRF token, passwords, one-time codes and secrets, the sign-in's `next`.
NOT_KEPT = re.compile(r"^(csrf_token|code|next|lang)$|password|passwd|secret|token|otp", re.I)
MAX_FIELDS = 200
MAX_VALUE = 20_000


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _same_site() -> bool:
    """The post came from a page of this site (Origin, else Referer)."""
    source = request.headers.get("Origin") or request.referrer or ""
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and parts.netloc == request.host


def keep(user_id: int | None, now) -> str | None:
    """Keep what the current POST carried; the path of its form's page, or None when there
    is nothing to keep (not a same-site form post, no page to return to, nothing typed)."""
    from portal.web.errors import back_url  # errors imports the app's forms

    if request.method != "POST" or not _same_site():
        return None
    path = back_url()
    if not path or len(path) > 300:
        return None
    fields = [
        [name, value[:MAX_VALUE]]
        for name in request.form
        if not NOT_KEPT.search(name)
        for value in request.form.getlist(name)
    ][:MAX_FIELDS]
    if not any(value.strip() for _, value in fields):
        return None
    key = secrets.token_urlsafe(24)
    minutes = current_app.config.get("KEPT_FORM_MINUTES", 30)
    db.session.rollback()  # nothing of the refused request is written with it
    db.session.execute(sa.delete(KeptForm).where(KeptForm.expires_at < now))
    db.session.add(
        KeptForm(
            key_hash=_hash(key),
            user_id=user_id,
            path=path,
            fields=fields,
            had_files=any(f.filename for f in request.files.values()),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.commit()
    session[KEY] = key
    return path


def waiting() -> bool:
    """Whether this browser has typed work waiting for its user to sign in."""
    return bool(session.get(KEY))


def restore(now) -> None:
    """Before a signed-in GET of the kept form's page: take the kept values (once) for the
    forms this request builds, and tell the user."""
    key = session.get(KEY)
    if not key or request.method != "GET" or not current_user.is_authenticated:
        return
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return  # a fragment (the header's poll): not the form's page
    row = db.session.scalar(sa.select(KeptForm).where(KeptForm.key_hash == _hash(key)))
    if row is None or row.expires_at < now:
        session.pop(KEY, None)
        return
    if row.user_id is not None and row.user_id != current_user.id:
        db.session.delete(row)  # another account signed in: it is not theirs
        db.session.commit()
        session.pop(KEY, None)
        return
    if row.path != request.path:
        return  # kept until its page is opened, or it expires
    g.kept_formdata = MultiDict([(name, value) for name, value in row.fields])
    had_files = row.had_files
    db.session.delete(row)
    db.session.commit()
    session.pop(KEY, None)
    flash(_("What you typed has been put back. Check it and submit the form again."))
    if had_files:
        flash(_("Files cannot be kept: choose them again before you submit."))


def restoring() -> bool:
    """Whether this request refills a form from kept values (views skip their defaults)."""
    return g.get("kept_formdata") is not None


_wrap_formdata = FlaskForm.Meta.wrap_formdata


def _wrap_kept_formdata(self, form, formdata):
    """FlaskForm's formdata, or on the kept form's page the kept values for a form that
    has any of the posted fields (by name, prefix included)."""
    kept = g.get("kept_formdata") if formdata is _Auto else None
    if kept is not None and request.method == "GET":
        names = [field.name for field in form]
        if any(k == n or k.startswith(n + "-") for k in kept for n in names):
            return kept
    return _wrap_formdata(self, form, formdata)


def init_app(app) -> None:
    app.config.setdefault("KEPT_FORM_MINUTES", 30)
    FlaskForm.Meta.wrap_formdata = _wrap_kept_formdata
    app.jinja_env.globals["kept_form_waiting"] = waiting
