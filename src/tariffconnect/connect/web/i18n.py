"""Languages of the hosted pages: which one a request gets, its translations, its formats.

The catalogues are the `.po` files under `locale/`, read once when this module is imported
(babel's `read_po`) and compiled in memory into gettext translations: no compile step, no
`.mo` files. Each language has its own Jinja2 environment with its translations installed,
so concurrent requests in different languages never share one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any

import babel.core
import babel.dates
import babel.numbers
import pycountry
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import ChainableUndefined, Environment, PackageLoader

from tariffconnect.connect.flow import describe, money
from tariffconnect.connect.flow.describe import N_
from tariffconnect.connect.web import fields

# The languages of the catalogues under locale/: English and those of the countries we list
# providers for. A new one is added here and in locale/ (docs/connect-hosted-pages.md).
LANGUAGES = ("en", "de", "fr", "es", "nl", "it")
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"
MAX_ACCEPT_LANGUAGE_ITEMS = 20
NO_VALUE = "\u2013"  # an en dash where a value is missing


@dataclass(frozen=True, slots=True)
class Lang:
    """The language of the texts (`code`, one of LANGUAGES) and the locale numbers and dates
    are formatted for (`locale`: en_GB for `Accept-Language: en-GB`, fr_BE for fr-BE)."""

    code: str
    locale: Any  # babel.core.Locale
    override: bool  # chosen with ?lang=, so links carry it on


def choose(accept_language: str | None, override: str | None) -> Lang:
    """`?lang=` one of LANGUAGES if given, else the best of Accept-Language, else English."""
    preferred = _preferred(accept_language or "")
    if override in LANGUAGES:
        code = str(override)
        chosen = override
    else:
        found = babel.core.negotiate_locale(preferred, LANGUAGES, sep="_")
        code = str(found).lower() if found else DEFAULT_LANGUAGE
        code = code if code in LANGUAGES else DEFAULT_LANGUAGE
        chosen = None
    # Format for the region the browser asked for, where it asked for this language.
    locale = babel.core.Locale.parse(code)
    for tag in preferred:
        if tag.split("_")[0].lower() == code:
            try:
                locale = babel.core.Locale.parse(tag)
            except (ValueError, babel.core.UnknownLocaleError):
                continue
            break
    return Lang(code=code, locale=locale, override=chosen is not None)


def _preferred(header: str) -> list[str]:
    """Accept-Language as locale ids (de_CH), best first; q=0 dropped."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:MAX_ACCEPT_LANGUAGE_ITEMS]):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if quality <= 0:
            continue
        weighted.append((-quality, index, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


def _load(code: str) -> Translations:
    path = resources.files(__package__).joinpath("locale", code, "LC_MESSAGES", f"{DOMAIN}.po")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


TRANSLATIONS: dict[str, Translations] = {code: _load(code) for code in LANGUAGES}


def _environment(code: str) -> Environment:
    env = Environment(
        loader=PackageLoader("tariffconnect.connect.web", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=ChainableUndefined,  # render data is the machine's: a missing key is blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(TRANSLATIONS[code], newstyle=True)  # type: ignore[attr-defined]
    return env


ENVIRONMENTS: dict[str, Environment] = {code: _environment(code) for code in LANGUAGES}


def gettext(lang: Lang, message: str) -> str:
    return str(TRANSLATIONS[lang.code].gettext(message))


# Texts for the codes the machine (and the pages themselves) answer with; a code not listed
# shows the machine's own message.
ERROR_MESSAGES: dict[str, str] = {
    "address_line1_missing": N_("Enter the first line of your address."),
    "city_missing": N_("Enter your town or city."),
    "post_code_missing": N_("Enter your postcode."),
    "post_code_invalid": N_("Enter a valid postcode."),
    "country_code_missing": N_("Choose your country."),
    "country_code_invalid": N_("Choose your country from the list."),
    "state_missing": N_("Enter your state, province or territory."),
    "state_invalid": N_("Enter a valid state, province or territory."),
    "country_code_not_supported": N_("We cannot connect tariffs in this country yet."),
    "postal_address_invalid": N_("Check your address."),
    "provider_id_missing": N_("Choose your energy provider."),
    "provider_id_invalid": N_("Choose your energy provider from the list."),
    "provider_name_missing": N_("Enter the name of your energy provider."),
    "provider_name_invalid": N_("Enter the name of your energy provider, in letters."),
    "tariff_id_missing": N_("Choose your tariff."),
    "tariff_id_invalid": N_("Choose your tariff from the list."),
    "options_missing": N_("Choose how your tariff is priced."),
    "options_invalid": N_("Choose how your tariff is priced."),
    "region_missing": N_("Choose your region."),
    "market_region_invalid": N_("Choose your region from the list."),
    "geo_location_not_found": N_("We have no market prices for this address."),
    "surcharge_fixed_invalid": N_("Enter the fixed surcharge as a number, like 1.5."),
    "surcharge_percentage_invalid": N_(
        "Enter the percentage as a number above -100 and at most 1000, like 5."
    ),
    "cost_missing": N_("Enter your price per kWh."),
    "cost_invalid": N_("Enter the price as a number, like 24.5."),
    "cost_value_zero": N_("The price must be more than 0."),
    "cost_value_negative": N_("The price cannot be negative."),
    "standing_charge_invalid": N_("Enter the standing charge as a number, like 53.5."),
    "standing_charge_value_negative": N_("The standing charge cannot be negative."),
    "valid_from_invalid": N_("Enter a valid start time, like 07:00."),
    "valid_to_invalid": N_("Enter a valid end time, like 23:00."),
    "gap_in_time_period": N_("The periods must meet: the night starts when the day ends."),
    "overlap_in_time_period": N_("The day and night periods must not overlap."),
    "incomplete_time_period": N_("The day and night periods together must cover 24 hours."),
    "hours_invalid": N_("Enter a start time, an end time and a price for day and night."),
    "tariff_name_missing": N_("Enter the name of your tariff."),
    "tariff_name_invalid": N_("Enter the name of your tariff, in letters."),
    "date_format_invalid": N_("Enter the contract end date as a real date, like 30 June 2027."),
    "contract_end_date_invalid": N_("The contract end date must be in the future."),
    "connect_token_invalid": N_("This link is not valid. Go back to the app and start again."),
    "connect_token_expired": N_("This link has expired. Go back to the app and start again."),
    "connect_session_ended": N_("This tariff connection is complete. Return to the app."),
    "csrf_invalid": N_("This form expired. Reload the page."),
    "form_invalid": N_("This form could not be read. Reload the page and try again."),
    "redirect_invalid": N_(
        "We cannot take you back to the app from here. Return to the app yourself."
    ),
    "provider_not_chosen": N_("This login page is not the one for the energy provider you chose."),
    "auth_metadata_invalid": N_("Enter your login details."),
    "auth_metadata_too_large": N_("Your login details are too long."),
    "auth_metadata_id_missing": N_("Log in to your provider again."),
    "auth_metadata_id_invalid": N_("Log in to your provider again."),
    "consent_given_invalid": N_("Allow access to your tariff to connect it."),
    "consent_already_given": N_("You have already allowed access. Return to the app."),
    "direct_not_available": N_(
        "This provider cannot be connected by login here. Go back to the app and start again."
    ),
    "otp_code_missing": N_("Enter the code the provider sent you."),
    "account_missing": N_("Choose your tariff."),
    "account_invalid": N_("Choose your tariff from the list."),
    "query_invalid": N_("This link is not valid. Go back to the app and start again."),
    "internal_error": N_("Something went wrong on our side. Try again in a moment."),
    "database_unavailable": N_("Something went wrong on our side. Try again in a moment."),
}


# The built-in adapters' login field labels (integrations/adapters), which the auth pages
# translate: listed here so that extraction finds them.
ADAPTER_FIELD_LABELS = (N_("Username"), N_("Password"))


def error_text(lang: Lang, code: str, fallback: str) -> str:
    message = ERROR_MESSAGES.get(code)
    return gettext(lang, message) if message is not None else fallback


def field_error_text(lang: Lang, error: fields.FieldError) -> str:
    if not error.translated:
        return error.message
    text = gettext(lang, error.message)
    return text % dict(error.params) if error.params else text


class Formatter:
    """Numbers, money, dates and times for one locale; handed to the templates as `fmt`.
    Times also follow the location's country (`country_code`): 24-hour for GB and the EU,
    12-hour where the country writes it so (US), whatever the page's language."""

    def __init__(self, lang: Lang, country_code: str | None = None) -> None:
        self.lang = lang
        self.locale = lang.locale
        self.country_code = country_code

    def input_number(self, value: Decimal) -> str:
        """A number for an input field: the locale's decimal separator, no grouping."""
        return str(babel.numbers.format_decimal(value, format="0.######", locale=self.locale))

    def number(self, value: Decimal) -> str:
        return str(babel.numbers.format_decimal(value, format="#,##0.####", locale=self.locale))

    def rate_unit(self, currency_code: str | None) -> str:
        """How rates are entered and shown: p/kWh, ct/kWh, or e.g. ¥/kWh."""
        unit = money.rate_unit(currency_code)
        if unit.minor_symbol is not None:
            return f"{unit.minor_symbol}/kWh"
        return f"{self.currency_symbol(currency_code)}/kWh"

    def currency_symbol(self, currency_code: str | None) -> str:
        code = (currency_code or "").upper()
        if not code:
            return ""
        return str(babel.numbers.get_currency_symbol(code, locale=self.locale))

    def rate(self, major: Any, currency_code: str | None) -> str:
        """A machine amount in major units per kWh, as shown: `24.5 p/kWh`."""
        value = money.to_decimal(major)
        if value is None:
            return NO_VALUE
        factor = money.rate_unit(currency_code).factor
        return f"{self.number(value * factor)}\u00a0{self.rate_unit(currency_code)}"

    def example(self, currency_code: str | None) -> str:
        """An example rate for hints, in the units entered: 24.5 (p) or 0.245 (major)."""
        factor = money.rate_unit(currency_code).factor
        return self.input_number(Decimal("24.5") if factor == 100 else Decimal("0.245"))

    def date(self, value: Any) -> str:
        day = _date(value)
        if day is None:
            return ""
        return str(babel.dates.format_date(day, format="long", locale=self.locale))

    def time(self, value: datetime | time) -> str:
        return describe.clock(value, self.locale, self.country_code)

    def country(self, code: str | None) -> str:
        if not code:
            return ""
        return str(self.locale.territories.get(code.upper(), code.upper()))


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@cache
def countries(locale_id: str) -> tuple[tuple[str, str], ...]:
    """(ISO code, name in this locale) for every country, sorted by name."""
    locale = babel.core.Locale.parse(locale_id)
    names: Mapping[str, str] = locale.territories
    found = []
    for country in pycountry.countries:
        code = str(country.alpha_2)
        found.append((code, str(names.get(code, country.name))))
    return tuple(sorted(found, key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
