"""Organisation set-up (`/admin/jurisdictions`, `/admin/units`, `/admin/categories`; issue 16
item 1): the jurisdiction tree with codes, each jurisdiction's units with their heads, its
whistle categories with lead and default co-handling units, and the staff bound to each
unit (accounts themselves are `users.py`'s). Every change is audited by the domain verbs
(`portal.domain.organisation`); a unit or category in use is retired, never deleted."""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.blueprints.admin import bp
from portal.blueprints.admin.forms import CategoryForm, JurisdictionForm, OrgImportForm, UnitForm
from portal.domain import org_import
from portal.domain import organisation as org
from portal.domain.errors import RuleViolation
from portal.domain.models import (
    Category,
    Jurisdiction,
    JurisdictionLevel,
    OrgUnit,
    Role,
    UnitKind,
    User,
)
from portal.extensions import db
from portal.web.forms import commit_or_explain
from portal.web.guards import requires
from portal.web.labels import label
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow


def _tree() -> list[tuple[Jurisdiction, int]]:
    """Every jurisdiction with its depth, parents before their children (by code)."""
    places = db.session.scalars(sa.select(Jurisdiction).order_by(Jurisdiction.code)).all()
    children: dict[int | None, list[Jurisdiction]] = {}
    for place in places:
        children.setdefault(place.parent_id, []).append(place)
    out: list[tuple[Jurisdiction, int]] = []

    def walk(parent_id, depth):
        for place in children.get(parent_id, []):
            out.append((place, depth))
            walk(place.id, depth + 1)

    walk(None, 0)
    return out


def _jurisdiction_choices(form: JurisdictionForm, exclude: Jurisdiction | None = None) -> None:
    form.parent.choices = [SelectChoice("", _("None (top of the tree)"))] + [
        SelectChoice(str(p.id), f"{'　' * depth}{p.name} {p.code}")
        for p, depth in _tree()
        if p is not exclude
    ]


def _save_place(form: JurisdictionForm, place: Jurisdiction | None):
    parent = db.session.get(Jurisdiction, int(form.parent.data)) if form.parent.data else None
    return commit_or_explain(
        form,
        "code",
        lambda: org.save_jurisdiction(
            db.session,
            place,
            code=form.code.data,
            name=form.name.data,
            level=JurisdictionLevel(form.level.data),
            parent=parent,
            **_who(),
        ),
    )


def _who() -> dict:
    return {"by": current_user, "at": utcnow(), "ip": request.remote_addr}


# --------------------------------------------------------------------------- jurisdictions


@bp.route("/jurisdictions", methods=["GET", "POST"])
@requires(Role.ADMIN)
def jurisdictions():
    """The tree, and a form to add a jurisdiction to it."""
    form = JurisdictionForm()
    _jurisdiction_choices(form)
    if form.validate_on_submit():
        done, made = _save_place(form, None)
        if done:
            flash(_("Added %(name)s.", name=made[0].name))
            return redirect(url_for("admin.jurisdiction", jurisdiction_id=made[0].id), 303)
    return render_screen("admin/jurisdictions.html", tree=_tree(), form=form)


@bp.route("/jurisdictions/<int:jurisdiction_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def jurisdiction(jurisdiction_id: int):
    """One jurisdiction: its code, name, level and parent (editable), its units with their
    heads and staff, its categories, and the policy it runs."""
    place = db.get_or_404(Jurisdiction, jurisdiction_id)
    if request.method == "POST":
        form = JurisdictionForm()
    else:
        form = JurisdictionForm(
            formdata=None,
            code=place.code,
            name=place.name,
            level=place.level.value,
            parent=str(place.parent_id) if place.parent_id else "",
        )
    _jurisdiction_choices(form, exclude=place)
    if form.validate_on_submit():
        done, made = _save_place(form, place)
        if done:
            flash(_("Saved.") if made[1] else _("Nothing changed."))
            return redirect(url_for("admin.jurisdiction", jurisdiction_id=place.id), 303)
    units = db.session.scalars(
        sa.select(OrgUnit)
        .where(OrgUnit.jurisdiction_id == place.id)
        .order_by(OrgUnit.active.desc(), OrgUnit.kind, OrgUnit.name)
    ).all()
    staff = dict(
        db.session.execute(
            sa.select(User.unit_id, sa.func.count())
            .where(User.unit_id.in_([u.id for u in units] or [0]), User.active)
            .group_by(User.unit_id)
        ).all()
    )
    categories = db.session.scalars(
        sa.select(Category)
        .where(Category.jurisdiction_id == place.id)
        .order_by(Category.active.desc(), Category.number)
    ).all()
    return render_screen(
        "admin/jurisdiction.html",
        place=place,
        form=form,
        units=units,
        staff=staff,
        categories=categories,
    )


# --------------------------------------------------------------------------- units


def _unit_choices(form: UnitForm, place: Jurisdiction, unit: OrgUnit | None = None) -> None:
    form.kind.choices = [SelectChoice("", _("Choose the kind"))] + [
        SelectChoice(k.value, label(k)) for k in org.UNIT_KINDS
    ]
    siblings = db.session.scalars(
        sa.select(OrgUnit)
        .where(OrgUnit.jurisdiction_id == place.id, OrgUnit.active)
        .order_by(OrgUnit.name)
    ).all()
    form.parent.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(str(u.id), u.name) for u in siblings if u is not unit
    ]


def _save_unit(form: UnitForm, place: Jurisdiction, unit: OrgUnit | None):
    parent = db.session.get(OrgUnit, int(form.parent.data)) if form.parent.data else None
    return commit_or_explain(
        form,
        "name",
        lambda: org.save_unit(
            db.session,
            unit,
            jurisdiction=place,
            name=form.name.data,
            kind=UnitKind(form.kind.data),
            parent=parent,
            **{name: form[name].data for name in org.UNIT_TEXT},
            **_who(),
        ),
    )


@bp.route("/jurisdictions/<int:jurisdiction_id>/units/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def unit_new(jurisdiction_id: int):
    place = db.get_or_404(Jurisdiction, jurisdiction_id)
    form = UnitForm()
    _unit_choices(form, place)
    if form.validate_on_submit():
        done, made = _save_unit(form, place, None)
        if done:
            flash(_("Added %(name)s.", name=made[0].name))
            return redirect(url_for("admin.unit", unit_id=made[0].id), 303)
    return render_screen("admin/unit.html", place=place, unit=None, form=form, members=[])


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def unit(unit_id: int):
    """A unit: its particulars and heads (editable), its staff, and retiring it."""
    found = db.get_or_404(OrgUnit, unit_id)
    if request.method == "POST":
        form = UnitForm()
    else:
        form = UnitForm(
            formdata=None,
            name=found.name,
            kind=found.kind.value,
            parent=str(found.parent_id) if found.parent_id else "",
            **{name: getattr(found, name) or "" for name in org.UNIT_TEXT},
        )
    _unit_choices(form, found.jurisdiction, found)
    if form.validate_on_submit():
        done, made = _save_unit(form, found.jurisdiction, found)
        if done:
            flash(_("Saved.") if made[1] else _("Nothing changed."))
            return redirect(url_for("admin.unit", unit_id=found.id), 303)
    members = db.session.scalars(
        sa.select(User).where(User.unit_id == found.id).order_by(User.role, User.name)
    ).all()
    return render_screen(
        "admin/unit.html", place=found.jurisdiction, unit=found, form=form, members=members
    )


@bp.post("/units/<int:unit_id>/remove")
@requires(Role.ADMIN)
def unit_remove(unit_id: int):
    """Delete a unit nothing names, or retire one in use."""
    found = db.get_or_404(OrgUnit, unit_id)
    place, name = found.jurisdiction, found.name
    outcome = org.remove_unit(db.session, found, **_who())
    return _removed(outcome, name, place, url_for("admin.unit", unit_id=unit_id))


def _removed(outcome: str, name: str, place: Jurisdiction, own_page: str):
    """Commit a removal and say what it was: deleted (back to the jurisdiction) or retired
    (back to the object's own page)."""
    db.session.commit()
    if outcome == "deleted":
        flash(_("%(name)s is deleted.", name=name))
        return redirect(url_for("admin.jurisdiction", jurisdiction_id=place.id), 303)
    flash(_("%(name)s is in use, so it is retired: it stays in the records.", name=name))
    return redirect(own_page, 303)


@bp.post("/units/<int:unit_id>/restore")
@requires(Role.ADMIN)
def unit_restore(unit_id: int):
    found = db.get_or_404(OrgUnit, unit_id)
    form = UnitForm(formdata=None)
    done, _none = commit_or_explain(
        form, "kind", lambda: org.restore_unit(db.session, found, **_who())
    )
    flash(
        _("%(name)s is in use again.", name=found.name) if done else form.kind.errors[0],
    )
    return redirect(url_for("admin.unit", unit_id=found.id), 303)


# --------------------------------------------------------------------------- categories


def _category_choices(form: CategoryForm, place: Jurisdiction) -> dict[int, OrgUnit]:
    units = {u.id: u for u in org.units_for_categories(db.session, place)}
    options = [
        SelectChoice(
            str(u.id),
            u.name if u.jurisdiction_id == place.id else f"{u.name}（{u.jurisdiction.name}）",
        )
        for u in units.values()
    ]
    form.leads.choices = options
    form.co_handlers.choices = list(options)
    return units


def _save_category(form: CategoryForm, place: Jurisdiction, category, units: dict):
    return commit_or_explain(
        form,
        "name",
        lambda: org.save_category(
            db.session,
            category,
            jurisdiction=place,
            number=form.number.data,
            name=form.name.data,
            description=form.description.data,
            responsible=form.responsible.data,
            leads=[units[int(i)] for i in form.leads.data or []],
            co_handlers=[units[int(i)] for i in form.co_handlers.data or []],
            **_who(),
        ),
    )


@bp.route("/jurisdictions/<int:jurisdiction_id>/categories/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def category_new(jurisdiction_id: int):
    place = db.get_or_404(Jurisdiction, jurisdiction_id)
    form = CategoryForm()
    units = _category_choices(form, place)
    if form.validate_on_submit():
        done, made = _save_category(form, place, None, units)
        if done:
            flash(_("Added %(name)s.", name=made[0].name))
            return redirect(url_for("admin.jurisdiction", jurisdiction_id=place.id), 303)
    return render_screen("admin/category.html", place=place, category=None, form=form)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def category(category_id: int):
    found = db.get_or_404(Category, category_id)
    place = found.jurisdiction
    if request.method == "POST":
        form = CategoryForm()
    else:
        form = CategoryForm(
            formdata=None,
            number=found.number,
            name=found.name,
            description=found.description,
            responsible=found.responsible,
            leads=[str(u.id) for u in found.lead_units],
            co_handlers=[str(u.id) for u in found.co_handlers],
        )
    units = _category_choices(form, place)
    if form.validate_on_submit():
        done, made = _save_category(form, place, found, units)
        if done:
            flash(_("Saved.") if made[1] else _("Nothing changed."))
            return redirect(url_for("admin.category", category_id=found.id), 303)
    return render_screen("admin/category.html", place=place, category=found, form=form)


@bp.post("/categories/<int:category_id>/remove")
@requires(Role.ADMIN)
def category_remove(category_id: int):
    found = db.get_or_404(Category, category_id)
    place, name = found.jurisdiction, found.name
    outcome = org.remove_category(db.session, found, **_who())
    return _removed(outcome, name, place, url_for("admin.category", category_id=category_id))


@bp.post("/categories/<int:category_id>/restore")
@requires(Role.ADMIN)
def category_restore(category_id: int):
    found = db.get_or_404(Category, category_id)
    org.restore_category(db.session, found, **_who())
    db.session.commit()
    flash(_("%(name)s is in use again.", name=found.name))
    return redirect(url_for("admin.category", category_id=found.id), 303)


# --------------------------------------------------------------------------- import

OUTCOMES = {"added": _l("Added"), "changed": _l("Changed"), "unchanged": _l("Unchanged")}
IMPORT_TEMPLATES = {"units": "组织架构和人员导入模板.xlsx", "categories": "吹哨类别导入模板.xlsx"}


@bp.route("/import", methods=["GET", "POST"])
@requires(Role.ADMIN)
def import_page():
    """Upload a filled template: a dry run reports every row; a real run writes only a
    clean file, and shows new staff's one-time passwords once, on this answer."""
    form = OrgImportForm()
    report = None
    if form.validate_on_submit():
        try:
            sheets = org_import.read_workbook(form.file.data.read())
        except RuleViolation as refused:
            form.file.errors.append(_(refused.message, **refused.params))
        else:
            report = org_import.import_workbook(
                db.session, sheets, dry_run=bool(form.dry_run.data), **_who()
            )
            db.session.commit()
    return render_screen(
        "admin/import.html",
        form=form,
        report=report,
        outcome_labels=OUTCOMES,
        status=422 if form.errors else 200,
    )


def _template(kind: str):
    response = make_response(org_import.template(kind))
    response.headers["Content-Type"] = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename={kind}.xlsx; filename*=UTF-8''{quote(IMPORT_TEMPLATES[kind])}"
    )
    return response


@bp.get("/import/units.xlsx")
@requires(Role.ADMIN)
def import_template_units():
    return _template("units")


@bp.get("/import/categories.xlsx")
@requires(Role.ADMIN)
def import_template_categories():
    return _template("categories")
