"""Administration of accounts (`/admin/users`): find a user, create a staff account with a
one-time password, change a role or unit, disable or enable, reset a password or a second
factor. No account is made with a known password (SECURITY.md 8); every change is audited
with who, whom and what (SECURITY.md 28), in accounts' one audit helper."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.blueprints.admin import bp
from portal.blueprints.admin.forms import StaffPlacementForm, StaffUserForm
from portal.domain import accounts
from portal.domain.errors import RuleViolation
from portal.domain.models import Jurisdiction, OrgUnit, Role, User
from portal.extensions import db
from portal.web.forms import commit_or_explain
from portal.web.guards import STAFF, requires
from portal.web.labels import label
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow

PAGE = 50


def _placement_choices(form: StaffPlacementForm) -> None:
    form.role.choices = [SelectChoice("", _("Choose a role"))] + [
        SelectChoice(r.value, label(r)) for r in STAFF
    ]
    units = db.session.execute(
        sa.select(OrgUnit.id, OrgUnit.name, Jurisdiction.name)
        .join(OrgUnit.jurisdiction)
        .where(OrgUnit.active)
        .order_by(Jurisdiction.code, OrgUnit.name)
    ).all()
    form.unit.choices = [SelectChoice("", _("No unit"))] + [
        SelectChoice(str(uid), f"{place} · {name}") for uid, name, place in units
    ]


def _placement(form: StaffPlacementForm) -> tuple[Role, OrgUnit | None]:
    unit = db.session.get(OrgUnit, int(form.unit.data)) if form.unit.data else None
    return Role(form.role.data), unit


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.get("/users")
@requires(Role.ADMIN)
def users():
    """Every account, newest first, searched by name, username or mobile; 50 a page."""
    q = request.args.get("q", "").strip()[:64]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = sa.select(User)
    if q:
        query = query.where(
            sa.or_(
                User.name.contains(q, autoescape=True),
                User.username.contains(q, autoescape=True),
                User.mobile.contains(q, autoescape=True),
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(User.id.desc()).limit(PAGE).offset((page - 1) * PAGE)
    ).all()
    return render_screen(
        "admin/users.html", rows=rows, q=q, page=page, total=total, pages=max(1, -(-total // PAGE))
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def user_new():
    """Create a staff account. The one-time password is shown on the answer to this POST
    only (never stored, never in a URL or a flash message)."""
    form = StaffUserForm()
    _placement_choices(form)
    if request.method == "GET" and request.args.get("unit", type=int):
        form.unit.data = str(request.args.get("unit", type=int))  # from a unit's page
    if form.validate_on_submit():
        role, unit = _placement(form)
        done, made = commit_or_explain(
            form,
            "username",
            lambda: accounts.create_staff_user(
                db.session,
                by=current_user,
                name=form.name.data,
                username=form.username.data,
                role=role,
                unit=unit,
                at=utcnow(),
                ip=request.remote_addr,
            ),
        )
        if done:
            user, password = made
            return render_screen(
                "admin/one_time_password.html", user=user, password=password, created=True
            )
    return render_screen("admin/user_new.html", form=form)


def _detail(
    user: User, form: StaffPlacementForm | None = None, error: str | None = None, status: int = 200
):
    if form is None:
        form = StaffPlacementForm(
            formdata=None, role=user.role.value, unit=str(user.unit_id) if user.unit_id else ""
        )
    _placement_choices(form)
    return render_screen("admin/user.html", user=user, form=form, error=error, status=status)


@bp.get("/users/<int:user_id>")
@requires(Role.ADMIN)
def user(user_id: int):
    return _detail(_user_or_404(user_id))


@bp.post("/users/<int:user_id>/role")
@requires(Role.ADMIN)
def user_role(user_id: int):
    """Change a staff member's role or unit (audited old → new)."""
    target = _user_or_404(user_id)
    form = StaffPlacementForm()
    _placement_choices(form)
    if form.validate_on_submit():
        role, unit = _placement(form)
        done, _none = commit_or_explain(
            form,
            "role",
            lambda: accounts.change_role(
                db.session,
                target,
                by=current_user,
                role=role,
                unit=unit,
                at=utcnow(),
                ip=request.remote_addr,
            ),
        )
        if done:
            flash(_("%(name)s is now %(role)s.", name=target.name, role=label(target.role)))
            return redirect(url_for("admin.user", user_id=target.id), 303)
    return _detail(target, form)


def _run(target: User, verb):
    """Run an action without fields; a rule's message goes at the top of the page."""
    try:
        result = verb()
        db.session.commit()
    except RuleViolation as violation:
        db.session.rollback()
        return None, _detail(target, error=_(violation.message, **violation.params), status=200)
    return result, None


@bp.post("/users/<int:user_id>/active")
@requires(Role.ADMIN)
def user_active(user_id: int):
    """Disable (every session ends at once) or enable an account."""
    target = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    _none, refused = _run(
        target,
        lambda: accounts.set_active(
            db.session, target, by=current_user, active=active, at=utcnow(), ip=request.remote_addr
        ),
    )
    if refused:
        return refused
    flash(
        _("%(name)s can sign in again.", name=target.name)
        if active
        else _("%(name)s can no longer sign in; every session has ended.", name=target.name)
    )
    return redirect(url_for("admin.user", user_id=target.id), 303)


@bp.post("/users/<int:user_id>/password")
@requires(Role.ADMIN)
def user_password(user_id: int):
    """A new one-time password, shown once; it must be changed at the next sign-in."""
    target = _user_or_404(user_id)
    password = accounts.reset_password(
        db.session, target, by=current_user, at=utcnow(), ip=request.remote_addr
    )
    db.session.commit()
    return render_screen(
        "admin/one_time_password.html", user=target, password=password, created=False
    )


@bp.post("/users/<int:user_id>/second-factor")
@requires(Role.ADMIN)
def user_second_factor(user_id: int):
    """Remove a user's second factor (a lost phone); the user adds one again."""
    target = _user_or_404(user_id)
    accounts.reset_second_factor(
        db.session, target, by=current_user, at=utcnow(), ip=request.remote_addr
    )
    db.session.commit()
    flash(
        _(
            "The second factor of %(name)s is removed; they can add a new one after signing in.",
            name=target.name,
        )
    )
    return redirect(url_for("admin.user", user_id=target.id), 303)
