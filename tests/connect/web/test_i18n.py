"""Languages: negotiation, complete catalogues, and templates that match forms.py."""

import re
from decimal import Decimal
from importlib import resources
from pprint import pformat

import pytest
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.pofile import read_po

from tariffconnect.connect.web import advanced_form, forms, i18n, views
from tests.connect.web import Page, create_session

PACKAGE = resources.files("tariffconnect.connect.web")
DESCRIBE = resources.files("tariffconnect.connect.flow").joinpath("describe.py")
PLACEHOLDER = r"%\(\w+\)s|%%"
# Messages that are rightly written the same as in English in that language. Any other
# translation equal to its English msgid is a message left in English.
SAME_AS_ENGLISH = {
    # German abbreviates these months as English does.
    "de": {"(optional)", "Region", "Jan", "Feb", "Apr", "Jun", "Jul", "Aug", "Sep", "Nov"},
    "fr": set(),
    "es": {"Error:"},
    "nl": {"Postcode"},
    # Italian says "password" too.
    "it": {"Password"},
}


@pytest.mark.parametrize(
    ("header", "override", "code", "locale"),
    [
        (None, None, "en", "en"),
        ("de", None, "de", "de"),
        ("DE", None, "de", "de"),
        ("de-AT,de;q=0.9", None, "de", "de_AT"),
        ("pt-BR, en-GB;q=0.8, de;q=0.5", None, "en", "en_GB"),
        ("pt, de;q=0.7, en;q=0.8", None, "en", "en"),
        ("de;q=0, en-US", None, "en", "en_US"),
        ("*", None, "en", "en"),
        ("x" * 100, None, "en", "en"),
        ("en-GB", "de", "de", "de"),
        ("de-CH", "de", "de", "de_CH"),
        ("de-DE", "pt", "de", "de_DE"),  # an unknown override is ignored
        ("de-DE", "FR", "de", "de_DE"),  # as is one in capitals
        ("fr-FR, en-GB;q=0.8, de;q=0.5", None, "fr", "fr_FR"),
        ("fr-BE", None, "fr", "fr_BE"),
        ("fr-CH, de-CH;q=0.9", None, "fr", "fr_CH"),
        ("es-ES,es;q=0.9", None, "es", "es_ES"),
        ("es-419", None, "es", "es_419"),
        ("nl-BE, nl;q=0.9, en;q=0.8", None, "nl", "nl_BE"),
        ("NL-nl", None, "nl", "nl_NL"),
        ("it-CH", None, "it", "it_CH"),
        ("pt-PT, it;q=0.5, en;q=0.4", None, "it", "it"),
        ("en-GB", "fr", "fr", "fr"),
        ("fr-BE", "fr", "fr", "fr_BE"),
        ("nl-BE", "fr", "fr", "fr"),  # the region of another language is not borrowed
        ("en-GB", "es", "es", "es"),
        ("en-GB", "nl", "nl", "nl"),
        ("it-IT", "it", "it", "it_IT"),
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
    # The flow's descriptions of tariffs are the pages' words too (the flow API says them in
    # English, the pages in their language).
    with DESCRIBE.open("rb") as handle:
        described = [message for _, _, message, _ in extract_python(handle, ["N_"], [], {})]
    return {message for _, _, message, _, _ in found} | set(described)


def catalogue(code: str):
    path = PACKAGE.joinpath("locale", code, "LC_MESSAGES", "messages.po")
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def test_the_catalogues_hold_every_message_and_no_other():
    """Every catalogue holds exactly the messages in use, each with a text and the msgid's
    placeholders; the failure lists, per language, every message to fix."""
    messages = extracted()
    assert "Skip \u2013 until terminated" in messages
    problems: dict[str, dict[str, list[str]]] = {}
    for code in i18n.LANGUAGES:
        entries = {m.id: m.string for m in catalogue(code) if m.id}
        found = {
            "missing": sorted(messages - set(entries)),
            "not in use": sorted(set(entries) - messages),
            "empty": sorted(m for m, text in entries.items() if not text),
            "placeholders differ": sorted(
                m
                for m, text in entries.items()
                if text and set(re.findall(PLACEHOLDER, text)) != set(re.findall(PLACEHOLDER, m))
            ),
        }
        if code == "en":
            found["not the msgid"] = sorted(m for m, text in entries.items() if text != m)
        if any(found.values()):
            problems[code] = {kind: ids for kind, ids in found.items() if ids}
    assert not problems, pformat(problems, width=100)


def test_no_message_is_left_in_english():
    """A translation equal to its English msgid is left in English, unless the language
    writes it the same (SAME_AS_ENGLISH) or it has no words (only placeholders)."""
    assert set(SAME_AS_ENGLISH) == set(i18n.LANGUAGES) - {"en"}
    left: dict[str, list[str]] = {}
    for code, same in SAME_AS_ENGLISH.items():
        entries = {m.id: m.string for m in catalogue(code) if m.id}
        english = sorted(
            m
            for m, text in entries.items()
            if text == m and m not in same and re.search(r"[a-z]", re.sub(PLACEHOLDER, "", m), re.I)
        )
        if english:
            left[code] = english
        # The allow-list names only messages that exist and are the same: it cannot go stale.
        assert {m for m in same if entries.get(m) == m} == same, code
    assert not left, "left in English:\n" + pformat(left, width=100)


def test_messages_are_translated_in_the_pages():
    german = i18n.choose("de", None)
    assert i18n.gettext(german, "Continue") == "Weiter"
    assert i18n.error_text(german, "cost_value_zero", "x") == "Der Preis muss größer als 0 sein."
    assert i18n.error_text(german, "otp_code_missing", "x") == (
        "Geben Sie den Code ein, den Ihnen der Anbieter gesendet hat."
    )
    # The built-in adapters' login labels, which the auth pages translate.
    assert [i18n.gettext(german, label) for label in i18n.ADAPTER_FIELD_LABELS] == [
        "Benutzername",
        "Passwort",
    ]
    assert i18n.error_text(german, "no_such_code", "The machine's words.") == (
        "The machine's words."
    )


def test_templates_name_exactly_the_fields_forms_knows():
    common = {forms.ROUTE_FIELD, forms.CSRF_FIELD, forms.ACTION_FIELD}
    for route, fields in forms.FIELDS.items():
        if route == advanced_form.ADVANCED_ROUTE:
            continue  # its grid's names come from loops: tests/browser/test_advanced_schedules
        source = PACKAGE.joinpath("templates", f"{route}.html").read_text()
        names = set(re.findall(r'name="([a-z_0-9]+)"', source))
        names |= set(
            re.findall(r'm\.(?:input|amount|radios|error_message)\("([a-z_0-9]+)"', source)
        )
        assert names - common == set(fields), route
    pages = {"tariff_summary", "error", "session_redirect"}
    pages |= {"tariff_connection_pending", "tariff_connection_failed"}
    assert set(forms.FIELDS) | pages == set(views.TEMPLATES)


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


def test_numbers_dates_and_countries_in_the_new_languages():
    for header, rate, day, country in [
        ("fr-BE", "24,56\u00a0ct/kWh", "30 juin 2027", "France"),
        ("es-ES", "24,56\u00a0ct/kWh", "30 de junio de 2027", "Francia"),
        ("nl-NL", "24,56\u00a0ct/kWh", "30 juni 2027", "Frankrijk"),
        ("it-IT", "24,56\u00a0ct/kWh", "30 giugno 2027", "Francia"),
    ]:
        fmt = i18n.Formatter(i18n.choose(header, None))
        assert fmt.rate(0.2456, "EUR") == rate, header
        assert fmt.date("2027-06-30T00:00:00Z") == day, header
        assert fmt.country("FR") == country, header
    assert i18n.Formatter(i18n.choose("fr-FR", None)).number(Decimal("1234.5")) == "1\u202f234,5"
    assert i18n.Formatter(i18n.choose("nl-BE", None)).number(Decimal("1234.5")) == "1.234,5"
    assert dict(i18n.countries("nl"))["BE"] == "België"
    assert dict(i18n.countries("it"))["DE"] == "Germania"


def test_error_texts_in_the_new_languages():
    expected = {
        "fr": "Le prix doit être supérieur à 0.",
        "es": "El precio debe ser mayor que 0.",
        "nl": "De prijs moet hoger zijn dan 0.",
        "it": "Il prezzo deve essere maggiore di 0.",
    }
    for code, text in expected.items():
        lang = i18n.choose(None, code)
        assert i18n.error_text(lang, "cost_value_zero", "x") == text
        assert i18n.error_text(lang, "no_such_code", "The machine's words.") == (
            "The machine's words."
        )


# (language, a location in a country that speaks it, the address page's heading)
ADDRESS_PAGES = [
    ("fr", {"city": "Lyon", "country_code": "FR"}, "Votre adresse"),
    ("es", {"city": "Madrid", "country_code": "ES"}, "Tu dirección"),
    ("nl", {"city": "Utrecht", "country_code": "NL"}, "Je adres"),
    ("it", {"city": "Milano", "country_code": "IT"}, "Il tuo indirizzo"),
]


@pytest.mark.parametrize("chosen_by", ["Accept-Language", "lang"])
@pytest.mark.parametrize(("code", "address", "heading"), ADDRESS_PAGES)
def test_a_page_in_each_language(client, tenant, code, address, heading, chosen_by):
    """The real app renders the page in the language the browser asks for, or that `?lang=`
    names over an English browser (and then carries on in the form's action)."""
    token = create_session(client, tenant, address=address)
    if chosen_by == "lang":
        headers = {"Accept-Language": "en-GB,en;q=0.9"}
        params = {"fp_cot": token, "lang": code}
        action = f"/connect/web?fp_cot={token}&lang={code}"
    else:
        headers = {"Accept-Language": f"{code}-{address['country_code']},{code};q=0.9,en;q=0.5"}
        params = {"fp_cot": token}
        action = f"/connect/web?fp_cot={token}"
    response = client.get("/connect/web", params=params, headers=headers)
    page = Page.of(response)
    assert response.status_code == 200
    assert page.h1 == [heading]
    assert f'<html lang="{code}">' in response.text
    assert response.headers["content-language"] == code
    assert page.forms[-1].action == action


def test_every_code_the_pages_answer_with_has_a_text_of_their_own():
    """The error pages' own codes (not the machine's) are shown in the page's language."""
    codes = set()
    for module in ("router.py", "responses.py"):
        source = PACKAGE.joinpath(module).read_text()
        codes |= set(re.findall(r'error_page\(\s*visit,\s*\d+,\s*"([a-z_]+)"', source))
    assert codes == {
        "connect_token_invalid",
        "form_invalid",
        "csrf_invalid",
        "internal_error",
        "redirect_invalid",
    }
    assert codes <= set(i18n.ERROR_MESSAGES)


def test_a_form_that_cannot_be_read_answers_in_the_page_language(client, tenant):
    token = create_session(client, tenant, address={"city": "Lyon", "country_code": "FR"})
    fields = {f"field{n}": "x" for n in range(60)}  # more than the pages read
    response = client.post(
        f"/connect/web?fp_cot={token}", data=fields, headers={"Accept-Language": "fr-FR"}
    )
    page = Page.of(response)
    assert response.status_code == 400
    assert page.h1 == ["Un problème est survenu"]
    assert (
        '<p class="lead">Ce formulaire n&#39;a pas pu être lu. Rechargez la page et réessayez.</p>'
        in response.text
    )
