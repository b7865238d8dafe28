"""The office's published answers (知识库, issue 10 item 3): list, add, change; a reply that
reached an enterprise can be turned into one (`?case=<number>` fills the form from it)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.blueprints.office import bp
from portal.blueprints.office.forms import AnswerForm
from portal.domain import answers, workflow
from portal.domain.access import jurisdiction_subtree
from portal.domain.models import Answer, Role
from portal.extensions import db
from portal.web import kept_forms
from portal.web.forms import commit_or_explain
from portal.web.guards import requires
from portal.web.loading import load_case
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow

PAGE = 50


@bp.get("/answers")
@requires(Role.OFFICE)
def answers_list():
    places = jurisdiction_subtree(current_user.unit.jurisdiction_id)
    text = (request.args.get("q") or "").strip()[:100]
    query = sa.select(Answer).where(Answer.jurisdiction_id.in_(places))
    if text:
        query = query.where(
            sa.or_(
                Answer.question.contains(text, autoescape=True),
                Answer.keywords.contains(text, autoescape=True),
            )
        )
    found = db.session.scalars(query.order_by(Answer.updated_at.desc()).limit(PAGE)).all()
    return render_screen("office/answers.html", answers=found, q=text)


def _answer_of_mine(answer_id: int) -> Answer:
    found = db.session.get(Answer, answer_id)
    places = set(db.session.scalars(jurisdiction_subtree(current_user.unit.jurisdiction_id)))
    if found is None or found.jurisdiction_id not in places:
        abort(404)
    return found


@bp.route("/answers/new", methods=["GET", "POST"])
@bp.route("/answers/<int:answer_id>", methods=["GET", "POST"])
@requires(Role.OFFICE)
def answer_edit(answer_id: int | None = None):
    found = _answer_of_mine(answer_id) if answer_id is not None else None
    from_case = None
    number = request.args.get("case", "")
    if found is None and number:
        from_case = load_case(number, current_user)
        if not from_case.reply_published:
            abort(404)
    form = AnswerForm(obj=found)
    categories = workflow.categories_of(db.session, current_user.unit.jurisdiction)
    form.category.choices = [SelectChoice("", _("No category"))] + [
        SelectChoice(str(c.id), f"{c.number}. {c.name}") for c in categories
    ]
    if request.method == "GET" and not kept_forms.restoring():
        if found is not None:
            form.category.data = str(found.category_id or "")
        elif from_case is not None:
            form.question.data, form.answer.data = from_case.title, from_case.reply_text
            form.category.data = str(from_case.category_id or "")
    if form.validate_on_submit():
        category = next((c for c in categories if str(c.id) == form.category.data), None)
        done, saved = commit_or_explain(
            form,
            "question",
            lambda: answers.save(
                db.session,
                by=current_user,
                at=utcnow(),
                question=form.question.data,
                text=form.answer.data,
                source=form.source.data or "",
                source_date=form.source_date.data,
                category=category,
                keywords=form.keywords.data or "",
                published=form.published.data,
                answer=found,
                from_case=from_case,
            ),
        )
        if done:
            flash(_("Saved: %(question)s", question=saved.question))
            return redirect(url_for("office.answers_list"), 303)
    return render_screen("office/answer.html", form=form, answer=found, from_case=from_case)
