"""Full-coverage contact service (`/contacts`, Dalu 大路街办发〔2021〕34号): a liaison's
enterprises with this month's status, recording a contact and the problems collected on it
in one short page, the unit's own problems, coverage per unit, and submitting the month.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.contacts import bp
from portal.blueprints.contacts.forms import ContactForm, SettleForm, SubmitMonthForm
from portal.domain import ledger
from portal.domain.access import jurisdiction_subtree
from portal.domain.calendar import load_calendar, local_date
from portal.domain.models import (
    ContactMethod,
    ContactProblem,
    ContactRecord,
    Enterprise,
    LiaisonAssignment,
    OrgUnit,
    Role,
)
from portal.extensions import db
from portal.web import kept_forms, ledgers, sheets
from portal.web.auditing import audit_request
from portal.web.forms import commit_or_explain, validate_all
from portal.web.guards import requires
from portal.web.input import int_arg
from portal.web.months import MONTH, month_in_query
from portal.web.pdf import pdf_response
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow


def _recent_months(today: date, n: int = 12) -> list[str]:
    year, month, months = today.year, today.month, []
    for _i in range(n):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


@bp.get("/")
@requires(Role.LIAISON)
def index():
    year, month, month_error = month_in_query()
    only = request.args.get("only") if request.args.get("only") in ("todo", "done") else None
    rows = ledger.my_month(db.session, current_user, year, month, only=only)
    every = rows if only is None else ledger.my_month(db.session, current_user, year, month)
    today = local_date(utcnow())
    unit_month = ledger.coverage(db.session, [current_user.unit_id], year, month)
    return render_screen(
        "contacts/index.html",
        rows=rows,
        only=only,
        month=f"{year}-{month:02d}",
        unit_month=unit_month[0] if unit_month else None,
        today=today,
        record_path=_path_pattern("contacts.record", "enterprise_id"),
        due=ledger.ledger_due(year, month, ledger.due_day_of(current_user.unit.jurisdiction)),
        month_error=month_error,
        months=_recent_months(today),
        contacted=sum(1 for r in every if r.contacts),
        total=len(every),
        is_this_month=(year, month) == (today.year, today.month),
    )


def _path_pattern(endpoint: str, key: str):
    """url_for once for a list's links: the path with the id as a placeholder, filled per
    row (url_for costs tens of microseconds; a liaison's list has hundreds of rows)."""
    marker = 987654321
    head, tail = url_for(endpoint, **{key: marker}).split(str(marker))
    return lambda value: f"{head}{int(value)}{tail}"


def _my_enterprise(enterprise_id: int) -> Enterprise:
    """An enterprise assigned to this liaison or their unit, else 404."""
    if ledger.assignment_of(db.session, current_user, enterprise_id) is None:
        abort(404)
    return db.session.get(Enterprise, enterprise_id)


@bp.route("/enterprises/<int:enterprise_id>/contact", methods=["GET", "POST"])
@requires(Role.LIAISON)
def record(enterprise_id: int):
    enterprise = _my_enterprise(enterprise_id)
    form = ContactForm()
    if request.method == "GET" and not kept_forms.restoring():
        form.contacted_on.data = local_date(utcnow())
    problems = [
        ledger.ProblemInput(
            p.form.name.data or "", p.form.content.data or "", bool(p.form.forward.data)
        )
        for p in form.problems
    ]

    def rules():
        assignment = ledger.assignment_of(db.session, current_user, enterprise.id)
        return ledger.contact_problems(
            db.session,
            assignment,
            enterprise,
            on=form.contacted_on.data,
            problems=problems,
            at=utcnow(),
        )

    if validate_all(form, rules, "contacted_on"):
        done, contact = commit_or_explain(
            form,
            "contacted_on",
            lambda: ledger.record_contact(
                db.session,
                by=current_user,
                enterprise=enterprise,
                on=form.contacted_on.data,
                method=ContactMethod(form.method.data),
                note=form.note.data or "",
                problems=problems,
                at=utcnow(),
                calendar=load_calendar(db.session),
            ),
        )
        if done:
            forwarded = [p.case.number for p in contact.problems if p.case is not None]
            flash(_("Contact with %(name)s recorded.", name=enterprise.name))
            if forwarded:
                flash(
                    _("Forwarded to the office as case %(numbers)s.", numbers="、".join(forwarded))
                )
            return redirect(url_for("contacts.index"), 303)
    status = 422 if form.errors else 200  # every wrong field told at once, beside it
    history = db.session.scalars(
        sa.select(ContactRecord)
        .where(ContactRecord.enterprise_id == enterprise.id)
        .order_by(ContactRecord.contacted_on.desc(), ContactRecord.id.desc())
        .limit(5)
    ).all()
    return render_screen(
        "contacts/record.html", form=form, enterprise=enterprise, history=history, status=status
    )


def _unit_problems():
    return (
        sa.select(ContactProblem)
        .join(ContactRecord)
        .where(ContactRecord.unit_id == current_user.unit_id)
    )


@bp.get("/problems")
@requires(Role.LIAISON)
def problems():
    """The problems collected by my unit, newest first: those it handles itself with their
    办结时间 and 办理情况, those forwarded with the case's progress."""
    rows = db.session.scalars(
        _unit_problems()
        .order_by(ContactRecord.contacted_on.desc(), ContactProblem.id.desc())
        .limit(200)
    ).all()
    return render_screen("contacts/problems.html", rows=rows)


@bp.route("/problems/<int:problem_id>", methods=["GET", "POST"])
@requires(Role.LIAISON)
def settle(problem_id: int):
    problem = db.session.scalar(_unit_problems().where(ContactProblem.id == problem_id))
    if problem is None or problem.case_id is not None:
        abort(404)
    form = SettleForm(obj=problem) if request.method == "GET" else SettleForm()
    if form.validate_on_submit():
        done, _p = commit_or_explain(
            form,
            "outcome",
            lambda: ledger.settle_problem(
                db.session,
                problem,
                by=current_user,
                finished_on=form.finished_on.data,
                outcome=form.outcome.data or "",
                reason=form.reason.data or "",
                at=utcnow(),
            ),
        )
        if done:
            flash(_("Saved."))
            return redirect(url_for("contacts.problems"), 303)
        db.session.refresh(problem)
    submitted = ledger.submission(
        db.session,
        problem.contact.unit_id,
        problem.contact.contacted_on.year,
        problem.contact.contacted_on.month,
    )
    return render_screen(
        "contacts/settle.html",
        form=form,
        problem=problem,
        submitted=submitted,
        status=422 if form.errors else 200,
    )


@bp.get("/coverage")
@requires(Role.LIAISON, Role.OFFICE)
def coverage():
    """Coverage per unit and month; an office sees every unit of its jurisdiction and below,
    a liaison its own unit. From the 20th, units below 100 % are flagged (Dalu 二(二): the
    ledger is due by the 25th)."""
    year, month, month_error = month_in_query()
    if current_user.role is Role.OFFICE:
        unit_ids = list(
            db.session.scalars(
                sa.select(sa.distinct(LiaisonAssignment.unit_id))
                .join(OrgUnit)
                .where(
                    OrgUnit.jurisdiction_id.in_(
                        jurisdiction_subtree(current_user.unit.jurisdiction_id)
                    )
                )
            )
        )
    else:
        unit_ids = [current_user.unit_id]
    rows = ledger.coverage(db.session, unit_ids, year, month)
    today = local_date(utcnow())
    chosen = int_arg("unit")
    missing = ledger.not_contacted(db.session, chosen, year, month) if chosen in unit_ids else None
    return render_screen(
        "contacts/coverage.html",
        rows=rows,
        month=f"{year}-{month:02d}",
        month_error=month_error,
        months=_recent_months(today),
        missing=missing,
        chosen=chosen,
        today=today,
        due=ledger.ledger_due(year, month, ledger.due_day_of(current_user.unit.jurisdiction)),
        amendments=[
            a for r in rows if r.unit.id == chosen and r.submitted for a in r.submitted.amendments
        ],
        submit_form=SubmitMonthForm(month=f"{year}-{month:02d}"),
    )


@bp.post("/submit")
@requires(Role.LIAISON)
def submit():
    """报送: the unit's month, locked from now on."""
    form = SubmitMonthForm()
    found = MONTH.match(form.month.data or "") if form.validate_on_submit() else None
    if found is None or not 1 <= int(found[2]) <= 12:
        abort(400)
    year, month = int(found[1]), int(found[2])
    done, _s = commit_or_explain(
        form,
        "month",
        lambda: ledger.submit_month(
            db.session, by=current_user, unit=current_user.unit, year=year, month=month, at=utcnow()
        ),
    )
    if done:
        flash(_("The ledger of %(month)s is submitted.", month=f"{year}-{month:02d}"))
    else:
        flash(form.month.errors[-1])
    return redirect(url_for("contacts.coverage", month=f"{year}-{month:02d}"), 303)


# --------------------------------------------------------------------------- the ledgers


def _ledger_units() -> list[int]:
    """Units whose ledgers this user may read: a liaison its own unit; an office every unit
    with assigned enterprises in its jurisdiction and below."""
    if current_user.role is Role.OFFICE:
        return list(
            db.session.scalars(
                sa.select(sa.distinct(LiaisonAssignment.unit_id))
                .join(OrgUnit)
                .where(
                    OrgUnit.jurisdiction_id.in_(
                        jurisdiction_subtree(current_user.unit.jurisdiction_id)
                    )
                )
            )
        )
    return [current_user.unit_id] if current_user.unit_id else []


def _ledger_docs(unit_ids: list[int]) -> list[ledgers.LedgerDocument]:
    """The units' ledgers of the month asked for; the export recorded with its row count
    (SECURITY.md checklist 31; the phones in them: `ledgers._enterprise_contact`)."""
    year, month, error = month_in_query()
    if error:
        abort(404)
    today = local_date(utcnow())
    units = db.session.scalars(
        sa.select(OrgUnit).where(OrgUnit.id.in_(unit_ids)).order_by(OrgUnit.name)
    ).all()
    docs = [
        ledgers.build(db.session, u, year, month, reader=current_user, today=today) for u in units
    ]
    rows = sum(len(d.monthly) + len(d.problems) for d in docs)
    audit_request(
        "export",
        object_type="ledger",
        object_id=f"{year}-{month:02d}:{','.join(map(str, unit_ids))}",
        result="ok",
        detail=f"{rows} rows",
    )
    db.session.commit()
    return docs


def _one_unit() -> int:
    allowed = _ledger_units()
    unit_id = int_arg("unit") or (allowed[0] if len(allowed) == 1 else None)
    if unit_id not in allowed:
        abort(404)
    return unit_id


@bp.get("/ledger.xlsx")
@requires(Role.LIAISON, Role.OFFICE)
def ledger_xlsx():
    """月台帐 and 问题诉求登载表 of one unit and month (Dalu 附件1-4), two sheets."""
    (doc,) = _ledger_docs([_one_unit()])
    return sheets.download(ledgers.workbook_bytes([doc]), f"{doc.name}.xlsx")


@bp.get("/ledger.pdf")
@requires(Role.LIAISON, Role.OFFICE)
def ledger_pdf():
    (doc,) = _ledger_docs([_one_unit()])
    return pdf_response(ledgers.pdf_bytes(doc), f"{doc.name}.pdf", download=True)


@bp.get("/ledgers.xlsx")
@requires(Role.OFFICE)
def ledgers_xlsx():
    """One workbook for every unit of the office's jurisdiction (经发办汇总后上报)."""
    docs = _ledger_docs(_ledger_units())
    year, month, _error = month_in_query()
    return sheets.download(
        ledgers.workbook_bytes(docs, prefixed=True),
        f"{current_user.unit.name}{year}年{month}月全覆盖联系台帐.xlsx",
    )
