"""Who is told of a step, written to the outbox in the step's own transaction (issue 8):

- dispatched (交办) → the lead unit's staff, in the portal, by SMS and e-mail;
- returned (退回) → the office, to rule on it;
- the enterprise added information (补充) → whoever holds the case (Shantou 二);
- a reply reached the enterprise (答复) → its users in the portal, and an SMS to the contact
  number the case was registered with (Chaozhou 四(四)3 "将结果反馈给企业");
- supervised (督办) → the lead unit's head, in the portal, by SMS and e-mail;
- gone up (escalated to the office, put before the leading group, referred to the level
  above) → the enterprise, as a reply is (Chaozhou 四(四)1 "并由受理部门将提交情况告知企业");
- a case that came as a work order (issue 10) → the system that sent it, by its webhook,
  when the case is refused or merged, gets its reply, or is rated.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.domain.models import (
    ApiClient,
    Case,
    CaseEvent,
    CaseState,
    Channel,
    EventAction,
    Role,
    WorkOrder,
)
from portal.domain.notify import EMAIL, IN_APP, SMS, WEBHOOK, notify, notify_all, unit_staff

A = EventAction
URGENT = (IN_APP, SMS, EMAIL)
ROUTINE = (IN_APP, EMAIL)
# The events that tell someone, each with the template of its message: a dispatch approved
# by a leader is the unit's dispatch all the same, and a reply reaches the enterprise as
# "replied" whether the office approved the unit's or answered on the spot.
TEMPLATES: dict[EventAction, str] = {
    A.DISPATCH: "dispatch",
    A.APPROVE_DISPATCH: "dispatch",
    A.RETURN: "return",
    A.SUPPLEMENT: "supplement",
    A.PUBLISH_REPLY: "replied",
    A.ANSWER: "replied",
    A.SUPERVISE: "supervise",
    A.REFUSE: "refuse",
    A.MERGE: "merge",
    A.RATE: "rate",
    A.ESCALATE: "escalated",
    A.REFER_TO_LEADERS: "escalated_leaders",
    A.REFER_UP: "escalated_up",
}
# The steps that take the case up a level, told to the enterprise (Chaozhou 四(三)2, 四(四)1).
GONE_UP = frozenset({A.ESCALATE, A.REFER_TO_LEADERS, A.REFER_UP})
# What a work order's system is told of: it said the work order was refused or re-routed,
# and it wants the reply and the rating (issue 10).
TO_THE_SENDER = frozenset({A.REFUSE, A.MERGE, A.PUBLISH_REPLY, A.ANSWER, A.RATE})


def tell(session, case: Case, event: CaseEvent) -> None:
    action = event.action
    if action not in TEMPLATES:
        return
    if case.id is None:
        session.flush()
    key = f"step:{case.id}:{action}:{event.at.isoformat()}"
    if action in TO_THE_SENDER and case.channel is not Channel.PORTAL:
        _tell_the_sender(session, case, action, key, event)
    template = TEMPLATES[A(action)]
    params = {"number": case.number, "title": case.title}

    def send(users, channels) -> None:
        notify_all(
            session,
            users,
            key=key,
            channels=channels,
            template=template,
            at=event.at,
            case=case,
            params=params,
        )

    if action in (A.DISPATCH, A.APPROVE_DISPATCH) and case.state is CaseState.DISPATCHED:
        send(unit_staff(session, case.lead_unit_id, (Role.HANDLER, Role.HEAD)), URGENT)
    elif action == A.RETURN:
        send(unit_staff(session, case.office_id, (Role.OFFICE,)), ROUTINE)
    elif action == A.SUPPLEMENT:
        holder = case.lead_unit_id if case.with_unit else case.office_id
        roles = (Role.HANDLER, Role.HEAD) if case.with_unit else (Role.OFFICE,)
        send(unit_staff(session, holder, roles), ROUTINE)
    elif action in (A.PUBLISH_REPLY, A.ANSWER) or action in GONE_UP:
        if case.enterprise is not None:
            send([u for u in case.enterprise.users if u.active], (IN_APP,))
        if case.contact_phone:
            notify(
                session,
                key=f"{key}:sms",
                channel=SMS,
                address=case.contact_phone,
                template=template,
                at=event.at,
                case=case,
                params=params,
            )
    elif action == A.SUPERVISE:
        send(unit_staff(session, case.lead_unit_id, (Role.HEAD,)), URGENT)


def _tell_the_sender(session, case: Case, action: str, key: str, event: CaseEvent) -> None:
    """A webhook message for the system the work order came from, if it has a webhook;
    its body is the work order's status when it is delivered (`jobs.send_webhook`)."""
    sender = session.execute(
        sa.select(WorkOrder.external_id, ApiClient.id, ApiClient.webhook_url)
        .join(ApiClient, ApiClient.id == WorkOrder.client_id)
        .where(WorkOrder.case_id == case.id, ApiClient.webhook_url.is_not(None))
    ).first()
    if sender is None:
        return
    external_id, client_id, url = sender
    notify(
        session,
        key=f"{key}:webhook",
        channel=WEBHOOK,
        address=url,
        template="work_order",
        at=event.at,
        case=case,
        params={
            "client_id": client_id,
            "external_id": external_id,
            "event": action,
            "at": event.at.isoformat(),
        },
    )
