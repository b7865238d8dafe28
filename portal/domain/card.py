"""The service card (服务卡, Chaozhou 附件4; 五(三) "发放服务卡，明确联系服务企业责任人"): how to
whistle, whom to call, and for a signed-in enterprise its own liaison unit and person."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.domain.models import (
    Enterprise,
    Jurisdiction,
    LiaisonAssignment,
    OrgUnit,
    UnitKind,
)

HOTLINE = "12345"


@dataclass
class ServiceCard:
    jurisdiction: Jurisdiction
    offices: list[OrgUnit]  # the enterprise's nearest office first, then upwards
    service_centres: list[OrgUnit]  # offline service centres (线下服务中心)
    liaison: LiaisonAssignment | None = None
    hotline: str = HOTLINE
    categories: list = field(default_factory=list)


def root_jurisdiction(session) -> Jurisdiction | None:
    return session.scalar(
        sa.select(Jurisdiction)
        .where(Jurisdiction.parent_id.is_(None))
        .order_by(Jurisdiction.id)
        .limit(1)
    )


def service_card(session, enterprise: Enterprise | None = None) -> ServiceCard | None:
    """The card for `enterprise`, or the general card of the top jurisdiction."""
    home = enterprise.jurisdiction if enterprise is not None else root_jurisdiction(session)
    if home is None:
        return None
    chain = [home, *home.ancestors]
    rank = {j.id: i for i, j in enumerate(chain)}
    units = session.scalars(
        sa.select(OrgUnit).where(
            OrgUnit.active, OrgUnit.kind.in_([UnitKind.OFFICE, UnitKind.SERVICE_CENTRE])
        )
    ).all()
    offices = sorted(
        (u for u in units if u.kind is UnitKind.OFFICE and u.jurisdiction_id in rank),
        key=lambda u: rank[u.jurisdiction_id],
    )
    # Offices: the nearest one that has a phone, and the top one; no long list on a phone.
    reachable = [u for u in offices if u.phone]
    shown = reachable[:1] + [u for u in reachable[1:] if u is reachable[-1]]
    # Offline service centres are kept by counties, zones and the city (Chengkou 五(一)3);
    # a town's service centres serve other purposes (Dalu 一).
    centres = [
        u for u in units if u.kind is UnitKind.SERVICE_CENTRE and u.jurisdiction.level.rank <= 1
    ]
    mine = [u for u in centres if u.jurisdiction_id in rank]
    centres = mine or centres
    centres.sort(key=lambda u: (rank.get(u.jurisdiction_id, 99), u.name))
    return ServiceCard(
        jurisdiction=home,
        offices=shown,
        service_centres=centres,
        liaison=enterprise.liaison if enterprise is not None else None,
    )
