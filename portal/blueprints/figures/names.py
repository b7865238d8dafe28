"""What each figure is called on the pages (the domain keeps only keys and seed quotes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIGURE_NAMES = {
    "awareness": _l("Enterprise awareness rate"),
    "online": _l("Online rate"),
    "received": _l("Whistle-taking rate"),
    "disposed": _l("Disposal rate"),
    "investigated": _l("Rate of lapses in responsibility investigated"),
    "replied": _l("Completion and reply rate"),
    "surveyed": _l("Satisfaction survey rate"),
    "response": _l("Response rate"),
    "resolution": _l("Resolution rate"),
    "satisfaction": _l("Satisfaction rate"),
    "overdue": _l("Overdue among open cases"),
}

# What is counted, in words, for the reader of the dashboard.
FIGURE_MEANINGS = {
    "awareness": _l(
        "Registered enterprises contacted by their liaison, with an account, or having whistled"
    ),
    "online": _l("Registered enterprises with an account on the portal"),
    "received": _l("Cases received in the month that the office has triaged"),
    "disposed": _l("Cases taken on that were dispatched or answered on the spot"),
    "investigated": _l(
        "Cases with a lapse (overdue, unsatisfied) that were supervised or held accountable"
    ),
    "replied": _l("Cases taken on whose reply reached the enterprise"),
    "surveyed": _l("Replied cases that were rated or called back"),
    "response": _l(
        "Cases whose enterprise heard back: contacted, refused with the reason, or answered"
    ),
    "resolution": _l("Rated cases the enterprise says are solved"),
    "satisfaction": _l("Rated cases rated satisfied or basically satisfied"),
    "overdue": _l("Open cases with a step past its time limit today"),
}


def figure_name(key: str) -> str:
    return str(FIGURE_NAMES[key])
