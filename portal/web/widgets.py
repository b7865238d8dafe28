"""WTForms and Flask-WTF without their per-request overheads (issue 20): the same markup and
the same messages, at a fraction of the CPU.

Two things they do on every request that need doing once, measured by bench/profiler.py
and bench/load.py (bench/README.md, "Issue 20"):

- `html_params`, which every widget calls for its attributes, builds each attribute through
  `Markup.format` (Python's `string.Formatter`, escaping key and value on the way): about
  90 µs for an input's eight attributes, a tenth to a quarter of a form page's CPU. The
  replacement writes the same text with one f-string per attribute (about 20 µs).
- Flask-WTF reads WTForms' own message catalogue (`wtforms/locale/*/LC_MESSAGES/wtforms.mo`)
  from disk and parses it again for every request that makes a form. The catalogue is the
  same for the life of the process, so it is read once per language.

`install()` puts both in place; `create_app` calls it. tests/test_widgets.py holds the
replacement to WTForms' own `html_params` on every kind of attribute, and the catalogue to
Flask-WTF's.
"""

from __future__ import annotations

from functools import lru_cache

import flask_wtf.i18n
import wtforms.widgets
import wtforms.widgets.core
from babel import support
from flask import current_app, request
from flask_babel import get_locale
from markupsafe import Markup, escape
from wtforms.i18n import messages_path

wtforms_html_params = wtforms.widgets.core.html_params


@lru_cache(maxsize=256)
def _attribute_name(key: str) -> str:
    # WTForms' clean_key (class_ -> class, data_x_y -> data-x-y, aria_x -> aria-x), escaped
    # as Markup.format escapes it.
    return str(escape(wtforms.widgets.core.clean_key(key)))


def html_params(**kwargs) -> Markup:
    """WTForms' `html_params`, the same output: attributes sorted by key, `True` written
    bare, `False` left out, values escaped (a `"` inside a value already marked safe
    becomes `&quot;`)."""
    parts = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            parts.append(_attribute_name(key))
        elif value is not False:
            written = str(escape(value)).replace('"', "&quot;")
            parts.append(f'{_attribute_name(key)}="{written}"')
    return Markup(" ".join(parts))


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _wtforms_translations():
    """Flask-WTF's `_get_translations`, with the catalogue read once per language."""
    if not request or "babel" not in current_app.extensions:
        return None
    return _wtforms_catalogue(str(get_locale()))


def install() -> None:
    wtforms.widgets.core.html_params = html_params
    wtforms.widgets.html_params = html_params
    flask_wtf.i18n._get_translations = _wtforms_translations
