"""The enterprise registry of the office's jurisdiction (`/contacts/registry`): list, search,
add and edit; import from .xlsx or .csv with a row-by-row report; the assignment rules and
bulk reassignment; the enterprises still without a unit or person; the people each unit's
ledger names (Dalu 一, 附件1-4)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from portal.blueprints.contacts import bp
from portal.blueprints.contacts.forms import (
    ApplyRulesForm,
    EnterpriseForm,
    ImportForm,
    ReassignForm,
    RuleForm,
    UnitPeopleForm,
)
from portal.domain import credit_code, registry
from portal.domain.access import jurisdiction_subtree
from portal.domain.errors import RuleViolation
from portal.domain.models import (
    AssignmentRule,
    Enterprise,
    EnterpriseKind,
    Jurisdiction,
    LiaisonAssignment,
    OrgUnit,
    Role,
    UnitKind,
    User,
)
from portal.extensions import db, limiter
from portal.web.forms import commit_or_explain
from portal.web.guards import requires
from portal.web.input import int_arg, page_arg
from portal.web.rendering import render_screen
from portal.web.sessions import utcnow

PAGE = 50


def _root() -> Jurisdiction:
    return current_user.unit.jurisdiction


def _inside():
    return jurisdiction_subtree(_root().id)


def _units() -> list[OrgUnit]:
    """Units that may be given enterprises to contact: every unit of the jurisdiction and
    below except offices' leading groups."""
    return list(
        db.session.scalars(
            sa.select(OrgUnit)
            .where(
                OrgUnit.jurisdiction_id.in_(_inside()),
                OrgUnit.active,
                OrgUnit.kind != UnitKind.LEADING_GROUP,
            )
            .order_by(OrgUnit.jurisdiction_id, OrgUnit.name)
        )
    )


def _search() -> dict:
    """The registry's search as the query string gives it: words (name or credit code),
    only those without a unit or person, and a place (the enterprise's town, village or
    community, and what lies below it). A place outside the office's jurisdiction is 404."""
    place = int_arg("place")
    if (
        place is not None
        and db.session.scalar(
            sa.select(Jurisdiction.id).where(
                Jurisdiction.id == place, Jurisdiction.id.in_(_inside())
            )
        )
        is None
    ):
        abort(404)
    return {
        "q": (request.args.get("q") or "").strip()[:100] or None,
        "only": "unassigned" if request.args.get("only") == "unassigned" else None,
        "place": place,
    }


def _matching(search: dict) -> sa.Select:
    """The enterprises the search finds, outer-joined to their assignment."""
    where = [Enterprise.jurisdiction_id.in_(_inside())]
    if search["q"]:
        where.append(
            sa.or_(
                Enterprise.name.contains(search["q"], autoescape=True),
                Enterprise.credit_code == credit_code.normalise(search["q"]),
            )
        )
    if search["place"] is not None:
        where.append(Enterprise.jurisdiction_id.in_(jurisdiction_subtree(search["place"])))
    if search["only"]:
        where.append(
            sa.or_(LiaisonAssignment.enterprise_id.is_(None), LiaisonAssignment.user_id.is_(None))
        )
    return sa.select(Enterprise).outerjoin(LiaisonAssignment).where(*where)


@bp.get("/registry")
@requires(Role.OFFICE)
def registry_list():
    search = _search()
    page = page_arg()
    query = _matching(search)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(
            selectinload(Enterprise.liaison).selectinload(LiaisonAssignment.unit),
            selectinload(Enterprise.liaison).selectinload(LiaisonAssignment.user),
            selectinload(Enterprise.jurisdiction),
        )
        .order_by(Enterprise.name)
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    form = _reassign_form()
    return render_screen(
        "contacts/registry.html",
        rows=rows,
        search=search,
        page=page,
        pages=max(1, -(-total // PAGE)),
        total=total,
        form=form,
        places=_places(),
        **search,
    )


def _reassign_form() -> ReassignForm:
    form = ReassignForm()
    units = _units()
    form.unit.choices = [SelectChoice("", _("Choose a unit"))] + [
        SelectChoice(str(u.id), u.name) for u in units
    ]
    people = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.LIAISON, User.active, User.unit_id.in_([u.id for u in units]))
        .order_by(User.name)
    ).all()
    names = {u.id: u.name for u in units}
    form.person.choices = [SelectChoice("", _("Choose later"))] + [
        SelectChoice(str(p.id), f"{p.name}（{names[p.unit_id]}）") for p in people
    ]
    return form


@bp.post("/registry/reassign")
@requires(Role.OFFICE)
def reassign():
    """Reassign the enterprises ticked on the page, or every one the search matches (all its
    pages): that asks first, saying how many will change, and goes ahead only when the
    office confirms that same number."""
    search = _search()
    back = url_for("contacts.registry_list", **search)
    form = _reassign_form()
    if form.validate_on_submit():
        unit = db.session.get(OrgUnit, int(form.unit.data))
        person = db.session.get(User, int(form.person.data)) if form.person.data else None
        chosen = list(form.enterprises.data or [])
        if form.scope.data == "search":
            chosen = _matching(search).with_only_columns(Enterprise.id)
            try:
                registry.check_reassignment(db.session, root=_root(), unit=unit, person=person)
            except RuleViolation as refused:
                flash(_(refused.message, **refused.params))
                return redirect(back, 303)
            count = registry.reassignment_count(
                db.session, root=_root(), enterprise_ids=chosen, unit=unit, person=person
            )
            if form.confirm.data != str(count) or not count:
                return render_screen(
                    "contacts/registry_reassign.html",
                    form=form,
                    count=count,
                    unit=unit,
                    person=person,
                    search=search,
                    back=back,
                    moved=bool(form.confirm.data),
                    places=dict((c.value, c.label) for c in _places()),
                )
        done, count = commit_or_explain(
            form,
            "unit",
            lambda: registry.reassign(
                db.session,
                root=_root(),
                enterprise_ids=chosen,
                unit=unit,
                person=person,
                at=utcnow(),
                by=current_user,
                ip=request.remote_addr,
            ),
        )
        if done:
            flash(_("%(num)d enterprises reassigned.", num=count))
            return redirect(back, 303)
    for field in (form.unit, form.person, form.enterprises, form.scope):
        for message in field.errors:
            flash(message)
    return redirect(back, 303)


def _places() -> list[SelectChoice]:
    places = db.session.scalars(
        sa.select(Jurisdiction).where(Jurisdiction.id.in_(_inside())).order_by(Jurisdiction.code)
    ).all()
    return [SelectChoice(str(j.id), j.name) for j in places]


@bp.route("/registry/new", methods=["GET", "POST"])
@bp.route("/registry/<int:enterprise_id>", methods=["GET", "POST"])
@requires(Role.OFFICE)
def registry_edit(enterprise_id: int | None = None):
    enterprise = None
    if enterprise_id is not None:
        enterprise = db.session.scalar(
            sa.select(Enterprise).where(
                Enterprise.id == enterprise_id, Enterprise.jurisdiction_id.in_(_inside())
            )
        )
        if enterprise is None:
            abort(404)
    form = (
        EnterpriseForm(obj=enterprise)
        if request.method == "GET" and enterprise
        else EnterpriseForm()
    )
    form.place.choices = _places()
    if request.method == "GET":
        form.kind.data = (enterprise.kind if enterprise else EnterpriseKind.SME).value
        form.place.data = str(enterprise.jurisdiction_id if enterprise else _root().id)
    if form.validate_on_submit():
        code = credit_code.normalise(form.credit_code.data or "") or None
        if code and not credit_code.is_valid(code):
            form.credit_code.errors.append(
                _("The credit code is not valid: check the 18 characters and the last one.")
            )
        elif code and db.session.scalar(
            sa.select(Enterprise.id).where(
                Enterprise.credit_code == code,
                Enterprise.id != (enterprise.id if enterprise else -1),
            )
        ):
            form.credit_code.errors.append(_("Another enterprise has this credit code."))
        else:
            target = enterprise or Enterprise(created_at=utcnow())
            target.name, target.credit_code = form.name.data.strip(), code
            target.kind = EnterpriseKind(form.kind.data)
            target.jurisdiction_id = int(form.place.data)
            for key in ("industry", "address", "contact_name", "contact_phone"):
                setattr(target, key, (getattr(form, key).data or "").strip() or None)
            db.session.add(target)
            db.session.commit()
            flash(_("Saved."))
            return redirect(url_for("contacts.registry_list", q=target.name), 303)
    return render_screen(
        "contacts/registry_edit.html",
        form=form,
        enterprise=enterprise,
        status=422 if form.errors else 200,
    )


@bp.route("/registry/import", methods=["GET", "POST"])
@requires(Role.OFFICE)
@limiter.limit("30 per hour", methods=["POST"])
def registry_import():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = registry.read_table(upload.filename or "", upload.read())
        except RuleViolation as refused:
            form.file.errors.append(_(refused.message, **refused.params))
        else:
            report = registry.import_rows(db.session, root=_root(), rows=rows, at=utcnow())
            db.session.commit()
    return render_screen(
        "contacts/registry_import.html",
        form=form,
        report=report,
        status=422 if form.errors else 200,
    )


VILLAGE = "village"  # the unit choice "the enterprise's village or community committee"


def _rule_form(
    rule: AssignmentRule | None, units: list[OrgUnit], rules, *, submitted: bool = False
) -> RuleForm:
    """A rule's form (prefix rule-<id>, or new for the one to add): the rule as stored, or
    as this request typed it."""
    prefix = f"rule-{rule.id}" if rule is not None else "new"
    form = RuleForm(prefix=prefix) if submitted else RuleForm(prefix=prefix, formdata=None)
    form.unit.choices = [
        SelectChoice("", _("Choose a unit")),
        SelectChoice(VILLAGE, _("The committee of the enterprise's village or community")),
    ] + [SelectChoice(str(u.id), u.name) for u in units]
    if submitted:
        return form
    if rule is None:  # added before a last rule that fits every enterprise, else at the end
        last_fits_all = rules and registry.fits_everything(rules[-1])
        form.position.data = str(len(rules) if last_fits_all else len(rules) + 1)
        return form
    form.description.data, form.words.data = rule.description, rule.industries
    form.kind.data = rule.kind.value if rule.kind else ""
    form.unit.data = VILLAGE if rule.to_village else str(rule.unit_id or "")
    form.position.data = str(rule.position)
    return form


def _own_rule(root: Jurisdiction, rule_id) -> AssignmentRule:
    """The rule of the office's own jurisdiction, else 404 (a rule of another level too)."""
    rule = db.session.get(AssignmentRule, rule_id) if rule_id else None
    if rule is None or rule.jurisdiction_id != root.id:
        abort(404)
    return rule


@bp.route("/registry/rules", methods=["GET", "POST"])
@requires(Role.OFFICE, Role.ADMIN)
def registry_rules():
    """Dalu's table as rules the office may change on this page: what each rule says, the
    industry words and the kind it looks for, the unit it gives and its order; add and
    remove rules; then apply them (to the enterprises without a unit, or to every one)."""
    if current_user.unit is None:
        abort(404)  # an administrator of no jurisdiction has no table of rules
    root = _root()
    rules = registry.rules_of(db.session, root.id)
    units = _units()
    failed: RuleForm | None = None
    apply_form = ApplyRulesForm(prefix="apply", formdata=None)
    if request.method == "POST":
        if request.form.get("apply"):
            apply_form = ApplyRulesForm(prefix="apply")
            everyone = apply_form.validate() and apply_form.scope.data == "all"
            count = registry.assign_by_rules(
                db.session,
                root=root,
                at=utcnow(),
                only_unassigned=not everyone,
                by=current_user,
                ip=request.remote_addr,
            )
            db.session.commit()
            flash(_("%(num)d enterprises assigned by the rules.", num=count))
            return redirect(url_for("contacts.registry_rules"), 303)
        if request.form.get("remove"):
            rule = _own_rule(root, request.form.get("remove", type=int))
            said = rule.description
            registry.remove_rule(db.session, root=root, rule=rule)
            db.session.commit()
            flash(_("Rule removed: %(rule)s", rule=said))
            return redirect(url_for("contacts.registry_rules"), 303)
        target = request.form.get("rule", "")
        rule = None if target == "new" else _own_rule(root, request.form.get("rule", type=int))
        form = _rule_form(rule, units, rules, submitted=True)
        if form.validate_on_submit():
            choice = form.unit.data or ""
            done, _saved = commit_or_explain(
                form,
                "description",
                lambda: registry.save_rule(
                    db.session,
                    root=root,
                    rule=rule,
                    description=form.description.data,
                    words=form.words.data or "",
                    kind=EnterpriseKind(form.kind.data) if form.kind.data else None,
                    unit=db.session.get(OrgUnit, int(choice)) if choice.isdigit() else None,
                    to_village=choice == VILLAGE,
                    position=int(form.position.data),
                ),
            )
            if done:
                flash(_("Saved."))
                return redirect(url_for("contacts.registry_rules"), 303)
            rules = registry.rules_of(db.session, root.id)
        failed = form
    failed_rule = request.form.get("rule") if failed is not None else None
    forms = [failed if failed_rule == str(r.id) else _rule_form(r, units, rules) for r in rules]
    new = failed if failed_rule == "new" else _rule_form(None, units, rules)
    return render_screen(
        "contacts/registry_rules.html",
        rules=list(zip(rules, forms)),
        new=new,
        apply_form=apply_form,
        form=failed or new,
        missing=registry.unassigned(db.session, root),
        status=422 if failed is not None else 200,
    )


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@requires(Role.OFFICE)
def unit_people(unit_id: int):
    """The people a unit's monthly ledger names, kept by the office."""
    unit = db.session.scalar(
        sa.select(OrgUnit).where(OrgUnit.id == unit_id, OrgUnit.jurisdiction_id.in_(_inside()))
    )
    if unit is None:
        abort(404)
    form = UnitPeopleForm(obj=unit)
    if form.validate_on_submit():
        for key in ("head_name", "head_phone", "leader_name", "leader_phone"):
            setattr(unit, key, (getattr(form, key).data or "").strip() or None)
        db.session.commit()
        flash(_("Saved."))
        return redirect(url_for("contacts.coverage"), 303)
    return render_screen(
        "contacts/unit.html", form=form, unit=unit, status=422 if form.errors else 200
    )
