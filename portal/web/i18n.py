"""Language: zh_Hans_CN by default, English on request; the choice is kept in the session."""

from __future__ import annotations

from datetime import date, datetime, timezone

from babel import dates as babel_dates
from flask import current_app, g, session
from flask_babel import get_locale, get_timezone, get_translations


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _day_format():
    """This request's locale, time zone and date style, looked up once per request (the
    `day` filter runs hundreds of times on a list; Flask-Babel looks them up on every call)."""
    found = g.get("_day_format")
    if found is None:
        locale = get_locale()
        style = "long" if str(locale).startswith("zh") else "medium"
        found = g._day_format = (locale, get_timezone(), style)
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
    app.jinja_env.install_gettext_callables(_template_gettext, _template_ngettext,
                                            newstyle=True)

    @app.template_filter("day")
    def _day(value: date | datetime | str | None) -> str:
        """A date as people write it: 2026年11月25日 in Chinese, Nov 25, 2026 in English;
        a timestamp adds the hour and minute in Beijing time."""
        if value is None:
            return ""
        if isinstance(value, str):  # an ISO date kept in an event's particulars
            value = date.fromisoformat(value)
        if not isinstance(value, datetime):
            # A list of 300 enterprises shows the same few days of the month again and again.
            memo = g.setdefault("_days", {})
            if value not in memo:
                locale, _zone, style = _day_format()
                memo[value] = babel_dates.format_date(value, style, locale=locale)
            return memo[value]
        locale, zone, style = _day_format()
        if isinstance(value, datetime):
            local = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(zone)
            return (f"{babel_dates.format_date(local, style, locale=locale)} "
                    f"{babel_dates.format_time(local, 'short', locale=locale)}")
        return babel_dates.format_date(value, style, locale=locale)

    @app.context_processor
    def _language():
        current = str(get_locale())
        return {
            "current_language": current,
            "html_lang": "zh-CN" if current.startswith("zh") else "en",
            "other_languages": [
                (code, label) for code, label in app.config["LANGUAGES"].items()
                if code != current
            ],
        }
