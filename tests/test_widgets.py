"""portal/web/widgets.py: WTForms' markup and Flask-WTF's messages, unchanged by the faster
ways of making them (issue 20)."""

from __future__ import annotations

import itertools

import pytest
from babel import support
from flask_wtf.i18n import translations as wtf_translations
from markupsafe import Markup
from wtforms.i18n import messages_path

from portal.web import widgets

VALUES = [
    True,
    False,
    None,
    0,
    42,
    "",
    "plain",
    "春节后一线工人缺口",
    'say "hi" & <b>',
    Markup('already "safe" <i>'),
    "it's",
]
KEYS = ["id", "class_", "for_", "data_hx_post", "aria_describedby", "data-x", "hx-post", "a<b"]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_one_attribute_is_written_as_wtforms_writes_it(key, value):
    assert widgets.html_params(**{key: value}) == widgets.wtforms_html_params(**{key: value})


def test_many_attributes_come_sorted_as_in_wtforms():
    for values in itertools.islice(itertools.permutations(VALUES, len(KEYS)), 200):
        attributes = dict(zip(KEYS, values, strict=True))
        ours = widgets.html_params(**attributes)
        assert isinstance(ours, Markup)
        assert ours == widgets.wtforms_html_params(**attributes)


def test_every_widget_of_the_whistle_form_renders_as_before(app, monkeypatch):
    """The whole form, field by field, with WTForms' own function and with ours."""
    import wtforms.widgets.core

    from portal.blueprints.enterprise.forms import WhistleForm

    with app.test_request_context("/whistle"):
        form = WhistleForm(meta={"csrf": False})
        ours = [str(field()) for field in form]
        monkeypatch.setattr(wtforms.widgets.core, "html_params", widgets.wtforms_html_params)
        theirs = [str(field()) for field in form]
    assert ours == theirs
    assert any('name="title"' in html for html in ours)


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_wtforms_messages_are_the_catalogues_own(app, client, language):
    """Read once per language, the catalogue answers as Flask-WTF's reading of it would."""
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = language
        expected = support.Translations.load(messages_path(), [language], domain="wtforms")
        for message in ("This field is required.", "Not a valid integer value."):
            assert wtf_translations.gettext(message) == expected.ugettext(message)
    if language.startswith("zh"):
        with app.test_request_context("/"):
            assert wtf_translations.gettext("This field is required.") != (
                "This field is required."
            )
