"""Language: zh_Hans_CN by default, English on request; the choice is kept in the session."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app, session
from flask_babel import format_date, format_time, get_locale


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    @app.template_filter("day")
    def _day(value: date | datetime | None) -> str:
        """A date as people write it: 2026年11月25日 in Chinese, Nov 25, 2026 in English;
        a timestamp adds the hour and minute in Beijing time."""
        if value is None:
            return ""
        style = "long" if str(get_locale()).startswith("zh") else "medium"
        if isinstance(value, datetime):
            return f"{format_date(value, style)} {format_time(value, 'short')}"
        return format_date(value, style)

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
