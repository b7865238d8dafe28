"""What each outbox message says, by its template key (the domain writes keys and
parameters only; the words are Babel's, in the reader's language when read)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES = {
    "due_soon": _l("Case %(number)s “%(title)s” is due on %(due)s."),
    "overdue": _l("Case %(number)s “%(title)s” is overdue: it was due on %(due)s."),
    "overdue_office": _l("Case %(number)s “%(title)s” is overdue at its unit (due %(due)s)."),
    "callback": _l("Case %(number)s “%(title)s” was not rated in time: call the enterprise back."),
    "progress": _l("Case %(number)s “%(title)s” owes this week's progress report (due %(day)s)."),
    "ledger": _l("The contact ledger of %(month)s is due on %(due)s."),
    "bulletin": _l("The monthly bulletin of %(month)s is ready."),
    "dispatch": _l("Case %(number)s “%(title)s” was dispatched to your unit: please sign for it."),
    "return": _l("Case %(number)s “%(title)s” was returned by its unit: please rule on it."),
    "supplement": _l("The enterprise added information to case %(number)s “%(title)s”."),
    "replied": _l(
        "Your case %(number)s “%(title)s” has a reply: please read it and rate the service."
    ),
    "escalated": _l(
        "Your case %(number)s “%(title)s” could not be settled by the department alone: "
        "it was put before the office to coordinate."
    ),
    "escalated_leaders": _l(
        "Your case %(number)s “%(title)s” was put before the leading group to coordinate."
    ),
    "escalated_up": _l(
        "Your case %(number)s “%(title)s” went up to the office of the level above to coordinate."
    ),
    "intake_received": _l(
        "Your e-mail reached the office and was registered as case "
        "%(number)s “%(title)s”. You will be told of its reply."
    ),
    "verify_code": _l(
        "Your verification code is %(code)s, valid for %(minutes)s minutes. Do not tell it "
        "to anyone; the portal never asks for it by phone."
    ),
    "number_taken": _l(
        "Someone tried to create a portal account with this mobile number, which already "
        "has one. Sign in with it; if it was not you, ignore this message."
    ),
    "supervise": _l(
        "Case %(number)s “%(title)s” is under supervision (督办): please answer the notice."
    ),
}


def message_text(template: str, params: dict) -> str:
    """The message in the reader's language; a template or parameter unknown to this
    version of the portal still shows, as its key."""
    text = MESSAGES.get(template)
    if text is None:
        return template
    try:
        return str(text) % params
    except (KeyError, TypeError, ValueError):
        return str(text)
