"""Language: zh_Hans_CN by default, English on request; the choice is kept in the session.

Templates' `_()` and the `day` filter look the request's catalogue, locale and zone up once
and write each day and minute once per process; bench/i18n.py measures what that saves
against Flask-Babel's own functions (1.7-1.9x per `_()`, 14-18x per date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import current_app, g, session
from flask_babel import get_locale, get_timezone, get_translations


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=4096)
def _written_day(locale: str, style: str, day: date) -> str:
    return babel_dates.format_date(day, style, locale=locale)


@lru_cache(maxsize=4096)  # 1,440 minutes a day, per language
def _written_minute(locale: str, minute: time) -> str:
    return babel_dates.format_time(minute, "short", locale=locale)


@dataclass(frozen=True)
class _DayFormat:
    """This request's locale, time zone and date style, looked up once per request (the
    `day` filter runs hundreds of times on a list or a timeline; Flask-Babel looks the locale
    up again on every call). Days and minutes are written once per process: Babel's
    formatting is a pure function of the language and the value."""

    locale: str
    zone: ZoneInfo
    style: str

    def day(self, day: date) -> str:
        return _written_day(self.locale, self.style, day)

    def moment(self, value: datetime) -> str:
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(self.zone)
        return (
            f"{_written_day(self.locale, self.style, local.date())} "
            f"{_written_minute(self.locale, time(local.hour, local.minute))}"
        )


def _day_format() -> _DayFormat:
    found = g.get("_day_format")
    if found is None:
        locale = get_locale()
        style = "long" if str(locale).startswith("zh") else "medium"
        found = g._day_format = _DayFormat(str(locale), ZoneInfo(str(get_timezone())), style)
    return found


def _translations():
    """This request's catalogue, looked up once (Flask-Babel finds it again on every call,
    and a list of 300 rows asks for the same few strings hundreds of times)."""
    found = g.get("_translations")
    if found is None:
        found = g._translations = get_translations()
    return found


def _template_gettext(string: str) -> str:
    return _translations().ugettext(string)


def _template_ngettext(singular: str, plural: str, num: int) -> str:
    return _translations().ungettext(singular, plural, num)


def init_app(app) -> None:
    # Templates' _() and ngettext() read the request's catalogue once; Babel's own
    # callables stay for Python code. Same newstyle semantics as Flask-Babel installs.
    app.jinja_env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)

    @app.template_filter("day")
    def _day(value: date | datetime | str | None) -> str:
        """A date as people write it: 2026年11月25日 in Chinese, Nov 25, 2026 in English;
        a timestamp adds the hour and minute in Beijing time."""
        if value is None:
            return ""
        if isinstance(value, str):  # an ISO date kept in an event's particulars
            value = date.fromisoformat(value)
        written = _day_format()
        return written.moment(value) if isinstance(value, datetime) else written.day(value)

    @app.context_processor
    def _language():
        current = str(get_locale())
        return {
            "current_language": current,
            "html_lang": "zh-CN" if current.startswith("zh") else "en",
            "other_languages": [
                (code, label) for code, label in app.config["LANGUAGES"].items() if code != current
            ],
        }
