"""Figures and working lists (`/figures`) for the office, the leaders and the inspectors of a
jurisdiction: the dashboard (this month against last, by department, by category × area),
the cases behind every count, the overdue review of the 25th, the weekly progress owed, the
city meeting's candidates, and the monthly bulletin (工作简报) as PDF and .xlsx.

Figures cover the user's jurisdiction and everything below it. A leader reads the figures
and lists of the jurisdiction, but opens only the cases put before the leaders (the case
pages' own scope decides, `access.case_scope`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import Length
from wtforms.validators import Optional as Maybe

from portal.blueprints.figures import bp
from portal.blueprints.figures.names import FIGURE_MEANINGS, FIGURE_NAMES, figure_name
from portal.domain import answers, figures, lists, workflow
from portal.domain.access import case_scope
from portal.domain.calendar import local_date
from portal.domain.figures import FIGURES, Period
from portal.domain.models import Case, Category, Jurisdiction, OrgUnit, Role
from portal.extensions import db
from portal.web import sheets
from portal.web.auditing import audit_request
from portal.web.forms import PanelForm
from portal.web.guards import requires
from portal.web.input import page_arg
from portal.web.labels import label
from portal.web.months import chosen_month, recent_months
from portal.web.pdf import pdf_response, render_pdf
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow

ROLES = (Role.OFFICE, Role.LEADER, Role.INSPECTOR)


@dataclass(frozen=True)
class Owed:
    case: Case
    day: date


PAGE_SIZE = 50


def _today() -> date:
    return local_date(utcnow())


def _jurisdiction() -> Jurisdiction:
    if current_user.unit is None:
        abort(404)
    return current_user.unit.jurisdiction


def _audit_export(what: str, detail: str, rows: int) -> None:
    """Bulk exports are recorded: who (the audit row's user), what, how many rows
    (SECURITY.md checklist 31). None of the figures' sheets carries a phone number: a case
    is its number, title, enterprise, dates, state and lead unit; an enterprise its name,
    kind, industry and address."""
    audit_request("export", object_type=what, object_id=detail, result="ok", detail=f"{rows} rows")
    db.session.commit()


def _case_links(cases) -> Callable:
    """`link(case)`: the staff case page where this user may open the case, else None — one
    statement for the list, the rule being `access.case_scope`'s (a leader opens only what
    was put before the leaders)."""
    ids = [c.id for c in cases]
    openable = set(
        db.session.scalars(
            sa.select(Case.id).where(Case.id.in_(ids or [0]), case_scope(current_user))
        )
    )
    return lambda case: (
        url_for("office.cases.case", number=case.number) if case.id in openable else None
    )


# --------------------------------------------------------------------------- the dashboard


@bp.get("/")
@requires(*ROLES)
def dashboard():
    today = _today()
    place = _jurisdiction()
    period, month_error = chosen_month(today)
    before = period.previous()
    now = figures.figure_counts(db.session, place.id, period, today)
    then = figures.figure_counts(db.session, place.id, before, today)
    departments = figures.department_counts(db.session, place.id, period)
    units = _names(OrgUnit, (r.unit_id for r in departments))
    seven, others = [f.key for f in figures.SEVEN], [f.key for f in figures.OTHERS]

    def versus(keys):
        return [(figure_name(k), now[k].rate, then[k].rate) for k in keys]

    grid = figures.category_area_counts(db.session, place.id, period)
    categories = _names(Category, {c for c, _a in grid if c is not None})
    areas = sorted(_names(Jurisdiction, {a for _c, a in grid}).items(), key=lambda kv: kv[1])
    ordered = sorted({c for c, _a in grid}, key=lambda c: (c is not None, categories.get(c, "")))
    grid_rows = [(categories.get(c), [grid.get((c, a), 0) for a, _n in areas]) for c in ordered]
    where = figures.places(db.session, place.id)
    deflected = (
        answers.deflected(db.session, where, *period.bounds()),
        answers.deflected(db.session, where, *before.bounds()),
    )
    return render_screen(
        "figures/dashboard.html",
        period=period,
        before=before,
        month_error=month_error,
        months=recent_months(today),
        place=place,
        now=now,
        then=then,
        seven=seven,
        others=others,
        names=FIGURE_NAMES,
        meanings=FIGURE_MEANINGS,
        seven_bars=versus(seven),
        others_bars=versus(others),
        departments=departments,
        units=units,
        department_bars=[(units.get(r.unit_id, ""), r.completion, None) for r in departments],
        area_names=[n for _a, n in areas],
        grid_rows=grid_rows,
        deflected=deflected,
    )


def _names(model, ids) -> dict:
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all())


# --------------------------------------------------------------------------- behind a figure


@bp.get("/counted")
@requires(*ROLES)
def members():
    """The cases (or enterprises) counted in a figure's numerator or denominator:
    `?figure=<key>&part=numerator|denominator&month=YYYY-MM`."""
    key, part = request.args.get("figure", ""), request.args.get("part", "")
    figure = FIGURES.get(key)
    if figure is None or part not in ("numerator", "denominator"):
        abort(404)
    today, place = _today(), _jurisdiction()
    period, month_error = chosen_month(today)
    if request.args.get("format") == "xlsx":
        total, rows = figures.members(
            db.session, figure, part, place.id, period, today, limit=100_000
        )
        _audit_export("figure", f"{key}:{part}:{period}", len(rows))
        title = f"{figure_name(key)} · {_part_name(part)} · {period}"
        return sheets.download(
            sheets.workbook((figure_name(key), title, *_member_sheet(figure, rows))),
            f"{figure_name(key)}-{period}.xlsx",
        )
    page = page_arg()
    total, rows = figures.members(
        db.session,
        figure,
        part,
        place.id,
        period,
        today,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return render_screen(
        "figures/members.html",
        months=recent_months(today),
        figure=figure,
        key=key,
        part=part,
        part_name=_part_name(part),
        name=figure_name(key),
        period=period,
        month_error=month_error,
        total=total,
        rows=rows,
        page=page,
        pages=pages,
        case_link=_case_links(rows if figure.over == "cases" else []),
    )


def _part_name(part: str) -> str:
    return _("numerator") if part == "numerator" else _("denominator")


def _member_sheet(figure, rows):
    if figure.over == "enterprises":
        return (
            (_("Enterprise"), _("Kind"), _("Industry"), _("Address")),
            [(e.name, label(e.kind), e.industry or "", e.address or "") for e in rows],
        )
    return sheets.case_columns(), [sheets.case_row(c) for c in rows]


# --------------------------------------------------------------------------- the lists


@bp.get("/review")
@requires(*ROLES)
def review():
    """The overdue review of the 25th (Shantou 三(五)), a page at a time."""
    today, place = _today(), _jurisdiction()
    period, month_error = chosen_month(today)
    if request.args.get("format") == "xlsx":
        found = lists.overdue_review(
            db.session,
            place.id,
            period,
            today,
            limit=sheets.EXPORT_ROWS,
            day_of_month=lists.review_day_of(place),
        )
        _audit_export("review", str(period), len(found.rows))
        columns = (*sheets.case_columns(), _("Due"), _("Overdue"))
        data = [
            (*sheets.case_row(r.case), r.due or "", _("Overdue") if r.overdue else "")
            for r in found.rows
        ]
        title = _("Unfinished cases as of %(day)s", day=found.day.isoformat())
        return sheets.download(
            sheets.workbook((str(period), title, columns, data)), f"{title}.xlsx"
        )
    page = page_arg()
    found = lists.overdue_review(
        db.session,
        place.id,
        period,
        today,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        day_of_month=lists.review_day_of(place),
    )
    return render_screen(
        "figures/review.html",
        period=period,
        month_error=month_error,
        months=recent_months(today),
        review=found,
        rows=found.rows,
        page=page,
        pages=max(1, -(-found.unfinished // PAGE_SIZE)),
        case_link=_case_links([r.case for r in found.rows]),
        export_rows=sheets.EXPORT_ROWS,
    )


@bp.get("/progress")
@requires(*ROLES)
def progress():
    """Weekly progress owed (Shantou 三(四): Thursdays)."""
    today, place = _today(), _jurisdiction()
    owed = lists.weekly_progress_owed(db.session, place.id, today)
    if request.args.get("format") == "xlsx":
        _audit_export("progress", today.isoformat(), len(owed))
        columns = (*sheets.case_columns(), _("Report day"))
        title = _("Weekly progress owed on %(day)s", day=today.isoformat())
        return sheets.download(
            sheets.workbook(
                (today.isoformat(), title, columns, [(*sheets.case_row(c), d) for c, d in owed])
            ),
            f"{title}.xlsx",
        )
    return render_screen(
        "figures/progress.html",
        owed=owed,
        today=today,
        case_link=_case_links([c for c, _d in owed]),
        owed_rows=[Owed(c, d) for c, d in owed],
    )


class MeetingCaseForm(PanelForm):
    """Which case to put on the meeting's list by hand: its number (GET, no change)."""

    number = StringField(
        _l("Case number"),
        validators=[Maybe(), Length(max=32)],
        description=_l("Opens the case, where the office puts it on the list with a reason."),
    )


@bp.get("/meeting")
@requires(*ROLES)
def meeting():
    """Candidates for the city meeting (Shantou 四(一) minus 四(二)), each with its rules; the
    cases the office put on or took off the list by hand (the steps `meeting_add` and
    `meeting_remove` on the case page); `?number=` opens a case to put it on."""
    today, place = _today(), _jurisdiction()
    find = MeetingCaseForm(formdata=request.args)
    number = (find.number.data or "").strip().upper() if find.validate() else ""
    if number:
        case = db.session.scalar(
            sa.select(Case).where(Case.number == number, case_scope(current_user))
        )
        if case is not None:
            return redirect(
                url_for("office.cases.case", number=case.number, _anchor="step-meeting_add"),
                303,
            )
        find.number.errors.append(_("No case you may see has this number."))
    total, found = lists.meeting_candidates(db.session, place.id, today)
    if request.args.get("format") == "xlsx":
        _audit_export("meeting", today.isoformat(), len(found))
        columns = (*sheets.case_columns(), _("Rules (Shantou 四(一))"), _("By hand"))
        data = [
            (
                *sheets.case_row(c.case),
                "；".join(f"{n}. {lists.MEETING_RULES[n]}" for n in c.rules),
                c.by_hand.note if c.by_hand is not None else "",
            )
            for c in found
        ]
        title = _("Candidates for the meeting, %(day)s", day=today.isoformat())
        return sheets.download(
            sheets.workbook((today.isoformat(), title, columns, data)), f"{title}.xlsx"
        )
    off = lists.taken_off_meeting_list(db.session, place.id)
    return render_screen(
        "figures/meeting.html",
        found=found,
        total=total,
        off=off,
        find=find,
        case_link=_case_links([c.case for c in found] + [c for c, _e in off]),
        # Whether this user decides the list by hand: the steps' own roles.
        decides=current_user.role in workflow.STEPS["meeting_add"].roles,
        rules=lists.MEETING_RULES,
        exclusions=lists.MEETING_EXCLUSIONS,
        rules_read=lists.RULES_READ,
        exclusions_read=lists.EXCLUSIONS_READ,
        status=422 if find.number.errors else 200,
        **({"form": find} if find.number.errors else {}),
    )


# --------------------------------------------------------------------------- the bulletin

BULLETIN_COLUMNS = (
    "名次",
    "主办部门",
    "交办件数",
    "办结件数",
    "完成率",
    "评价件数",
    "满意件数",
    "满意度",
)
DEDUCTION_COLUMNS = ("不满意件数", "扣分（每件%d分）")


def _bulletin(place: Jurisdiction, period: Period):
    """Haimen 三(五) "每月将部门完成率（解决问题）和企业满意度的结果在《工作简报》中予以通报":
    the departments of the month, ranked by completion, then satisfaction. Under a profile
    that deducts points for 不满意 (Chengkou 五(三)3 "按规定给予扣分"), each department's
    不满意 ratings of the month and the points deducted, as two more columns."""
    rows = figures.department_counts(db.session, place.id, period)
    policy = place.effective_policy
    points = policy.unsatisfied_deduction if policy is not None else None
    deducted = figures.unsatisfied_deductions(db.session, place.id, period, points)
    units = _names(OrgUnit, (r.unit_id for r in rows))
    table = [
        (
            n,
            units.get(r.unit_id, ""),
            r.dispatched,
            r.finished,
            _percent(r.completion),
            r.rated,
            r.satisfied,
            _percent(r.satisfaction),
            *(deducted.get(r.unit_id, (0, 0)) if points else ()),
        )
        for n, r in enumerate(rows, 1)
    ]
    title = f"{place.name}高质量服务企业工作简报（{period.year}年{period.month}月）"
    columns = BULLETIN_COLUMNS + (
        (DEDUCTION_COLUMNS[0], DEDUCTION_COLUMNS[1] % points) if points else ()
    )
    return title, columns, table


@bp.app_template_filter("percent")
def _percent(rate) -> str:
    """A rate as a percentage, "—" when there is nothing to count."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _bulletin_request():
    """The month asked for, the user's jurisdiction and its bulletin; the export recorded."""
    today, place = _today(), _jurisdiction()
    period, _error = chosen_month(today)
    title, columns, table = _bulletin(place, period)
    _audit_export("bulletin", str(period), len(table))
    return today, place, period, title, columns, table


@bp.get("/bulletin.pdf")
@requires(*ROLES)
def bulletin_pdf():
    today, place, period, title, columns, table = _bulletin_request()
    counts = figures.figure_counts(db.session, place.id, period, today)
    data = render_pdf(
        "pdf/bulletin.html",
        title=title,
        columns=columns,
        table=table,
        counts=counts,
        period=period,
        issued=today,
        office=current_user.unit,
    )
    return pdf_response(data, f"{title}.pdf", download=True)


@bp.get("/bulletin.xlsx")
@requires(*ROLES)
def bulletin_xlsx():
    _today_, _place, _period, title, columns, table = _bulletin_request()
    return sheets.download(
        sheets.workbook(("部门完成率和满意度", title, columns, table)), f"{title}.xlsx"
    )
