"""Languages: negotiation, complete catalogues, and templates that match forms.py."""

import re
from importlib import resources

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tariffconnect.connect.web import forms, i18n, views

PACKAGE = resources.files("tariffconnect.connect.web")


@pytest.mark.parametrize(
    ("header", "override", "code", "locale"),
    [
        (None, None, "en", "en"),
        ("de", None, "de", "de"),
        ("DE", None, "de", "de"),
        ("de-AT,de;q=0.9", None, "de", "de_AT"),
        ("fr-FR, en-GB;q=0.8, de;q=0.5", None, "en", "en_GB"),
        ("fr, de;q=0.7, en;q=0.8", None, "en", "en"),
        ("de;q=0, en-US", None, "en", "en_US"),
        ("*", None, "en", "en"),
        ("x" * 100, None, "en", "en"),
        ("en-GB", "de", "de", "de"),
        ("de-CH", "de", "de", "de_CH"),
        ("de-DE", "fr", "de", "de_DE"),  # an unknown override is ignored
    ],
)
def test_language_negotiation(header, override, code, locale):
    chosen = i18n.choose(header, override)
    assert chosen.code == code
    assert str(chosen.locale) == locale
    assert chosen.override is (override in i18n.LANGUAGES)


def extracted() -> set[str]:
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _, _, message, _, _ in found}


def catalogue(code: str):
    path = PACKAGE.joinpath("locale", code, "LC_MESSAGES", "messages.po")
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def test_the_catalogues_hold_every_message_and_no_other():
    messages = extracted()
    assert "Skip \u2013 until terminated" in messages
    for code in i18n.LANGUAGES:
        entries = {m.id: m.string for m in catalogue(code) if m.id}
        assert set(entries) == messages, code
        for message_id, text in entries.items():
            assert text, (code, message_id)
            placeholders = set(re.findall(r"%\(\w+\)s|%%", message_id))
            assert set(re.findall(r"%\(\w+\)s|%%", text)) == placeholders, (code, message_id)
        if code == "en":
            assert all(text == message_id for message_id, text in entries.items())


def test_messages_are_translated_in_the_pages():
    german = i18n.choose("de", None)
    assert i18n.gettext(german, "Continue") == "Weiter"
    assert i18n.error_text(german, "cost_value_zero", "x") == "Der Preis muss größer als 0 sein."
    assert i18n.error_text(german, "no_such_code", "The machine's words.") == (
        "The machine's words."
    )


def test_templates_name_exactly_the_fields_forms_knows():
    common = {forms.ROUTE_FIELD, forms.CSRF_FIELD, forms.ACTION_FIELD}
    for route, fields in forms.FIELDS.items():
        if route == forms.ADVANCED_ROUTE:
            continue  # its grid's names come from loops: tests/browser/test_advanced_schedules
        source = PACKAGE.joinpath("templates", f"{route}.html").read_text()
        names = set(re.findall(r'name="([a-z_0-9]+)"', source))
        names |= set(
            re.findall(r'm\.(?:input|amount|radios|error_message)\("([a-z_0-9]+)"', source)
        )
        assert names - common == set(fields), route
    assert set(forms.FIELDS) | {"tariff_summary", "error", "session_redirect"} == set(
        views.TEMPLATES
    )


def test_numbers_and_dates_in_the_locales_format():
    german = i18n.Formatter(i18n.choose("de-DE", None))
    english = i18n.Formatter(i18n.choose("en-GB", None))
    assert german.rate(0.2456, "EUR") == "24,56\u00a0ct/kWh"
    assert english.rate(0.2456, "GBP") == "24.56\u00a0p/kWh"
    assert english.rate(1234.5, "JPY") == "1,234.5\u00a0JP¥/kWh"
    assert english.rate(None, "GBP") == "\u2013"
    assert german.date("2027-06-30T00:00:00Z") == "30. Juni 2027"
    assert english.date("2027-06-30T00:00:00Z") == "30 June 2027"
    assert german.country("GB") == "Vereinigtes Königreich"
