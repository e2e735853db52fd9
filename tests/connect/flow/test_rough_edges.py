"""Issue 14's rough edges, through the JSON flow API: the typed provider name kept, regulated
utilities asked for no contract, tariffs described by their structure, and library tariffs
listed with their rates and hours."""

from __future__ import annotations

from datetime import time

import babel.core

from tariffconnect.connect.flow import describe
from tariffconnect.tariffs import library
from tests.connect.flow.flow import (
    EON_NEXT,
    LONDON,
    make_location,
    make_session,
    plain_provider,
    start,
    submit,
)

SAN_FRANCISCO = {
    "address_line1": "1 Market Street",
    "city": "San Francisco",
    "state": "CA",
    "post_code": "94105",
    "country_code": "US",
}
PGE = "prv_381d545394fdef310aef36ff"  # Pacific Gas and Electric Company: regulated
PGE_TOU_C = "trl_6b59397a9914650c9ecdf89a"
RELIANT = "prv_f2446adf7d64a00201dff1d8"  # a Texas retail supplier: contracts end
HOUSTON = {
    "address_line1": "1 Main Street",
    "city": "Houston",
    "state": "TX",
    "post_code": "77002",
    "country_code": "US",
}
LOCAL_CO = {"id": None, "display_name": "Local Co", "logo_url": None}


def typed_provider_fixed(client, token):
    start(client, token)
    submit(client, token, "provider_select", action="PROVIDER_MISSING")
    submit(client, token, "provider_name_capture", data={"provider": {"name": "  Local   Co "}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    page = submit(client, token, "rate_fixed_capture", data={"cost": 0.2})
    assert page["data"]["tariff"] == {"name": "Local Co fixed rate"}
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Local fixed"}})
    return submit(client, token, "contract_term_capture")


def test_the_typed_provider_name_stays_on_the_summary_in_every_later_session(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    token = make_session(client, tenant.test, location_id=location_id)
    summary = typed_provider_fixed(client, token)
    assert summary["route"] == "tariff_summary"
    assert summary["data"]["provider"] == LOCAL_CO
    assert submit(client, token, "tariff_summary", action="CLOSE")["route"] == "session_redirect"
    # The ended session's read-only summary, and a new session of the same location.
    assert start(client, token)["data"]["provider"] == LOCAL_CO
    later = make_session(client, tenant.test, location_id=location_id)
    page = start(client, later)
    assert (page["route"], page["data"]["provider"]) == ("tariff_summary", LOCAL_CO)
    # The REST tariff keeps Flatpeak's shape: no provider, no provider_name.
    tariffs = client.get(
        "/tariffs", params={"location_id": location_id}, headers=tenant.test
    ).json()["data"]
    assert [(t["display_name"], t["provider_id"]) for t in tariffs] == [("Local fixed", None)]
    assert "provider_name" not in tariffs[0]


def test_a_catalogue_provider_chosen_after_a_typed_one_replaces_its_name(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    token = make_session(client, tenant.test, location_id=location_id)
    typed_provider_fixed(client, token)
    page = submit(client, token, "tariff_summary", action="EDIT")
    provider = plain_provider()
    submit(client, token, "provider_select", data={"provider": {"id": provider}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.25})
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Listed"}})
    page = submit(client, token, "contract_term_capture")
    assert page["data"]["provider"]["id"] == provider
    later = make_session(client, tenant.test, location_id=location_id)
    assert start(client, later)["data"]["provider"]["id"] == provider


def test_a_regulated_utility_is_asked_for_no_contract(client, tenant):
    token = make_session(client, tenant.test, SAN_FRANCISCO)
    page = start(client, token)
    assert page["route"] == "provider_select"
    page = submit(client, token, "provider_select", data={"provider": {"id": PGE}})
    assert page["route"] == "tariff_select"
    assert page["data"]["tariffs"] == [
        {
            "id": PGE_TOU_C,
            "name": "PG&E E-TOU-C (Peak Pricing 4-9 p.m. Every Day)",
            "description": (
                "44.10\u00a0¢ 4:00 PM\u20139:00 PM, 31.80\u00a0¢ otherwise; "
                "other rates on some days or months"
            ),
        }
    ]
    page = submit(client, token, "tariff_select", data={"tariff": {"id": PGE_TOU_C}})
    assert page["route"] == "tariff_summary"
    tariff = page["data"]["tariff"]
    assert (tariff["contract_end_date"], tariff["structure_type"]) == (None, "TIME_OF_DAY")
    assert tariff["structure_kind"] == "TIME_OF_USE"
    assert page["data"]["country_code"] == "US"


def test_a_retail_supplier_is_asked_for_its_contract(client, tenant):
    token = make_session(client, tenant.test, HOUSTON)
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": RELIANT}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.14})
    page = submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Plan"}})
    assert page["route"] == "contract_term_capture"


def hours_path(client, tenant, hours):
    token = make_session(client, tenant.test)
    start(client, token)
    submit(client, token, "provider_select", action="PROVIDER_MISSING")
    submit(client, token, "provider_name_capture", data={"provider": {"name": "Local Co"}})
    submit(client, token, "tariff_structure_select", data={"options": ["TIME_OF_DAY"]})
    page = submit(client, token, "rate_tod_capture", data={"hours": hours})
    suggested = page["data"]["tariff"]["name"]
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": suggested}})
    summary = submit(client, token, "contract_term_capture")
    return suggested, summary["data"]["tariff"]["structure_kind"]


def test_a_cheap_night_is_day_and_night_and_a_peak_window_time_of_use(client, tenant):
    night = [
        {"valid_from": "07:00:00", "valid_to": "23:00:00", "cost": 0.3},
        {"valid_from": "23:00:00", "valid_to": "07:00:00", "cost": 0.1},
    ]
    assert hours_path(client, tenant, night) == ("Local Co day & night", "DAY_NIGHT")
    peak = [
        {"valid_from": "16:00:00", "valid_to": "21:00:00", "cost": 0.44},
        {"valid_from": "21:00:00", "valid_to": "16:00:00", "cost": 0.32},
    ]
    assert hours_path(client, tenant, peak) == ("Local Co time of use", "TIME_OF_USE")


def test_library_tariffs_are_listed_with_their_rates_and_hours(client, tenant):
    token = make_session(client, tenant.test)
    start(client, token)
    page = submit(client, token, "provider_select", data={"provider": {"id": EON_NEXT}})
    assert page["route"] == "tariff_select"
    listed = {t["name"]: t["description"] for t in page["data"]["tariffs"]}
    assert listed == {
        "E.ON Next Drive": "9.50\u00a0p 00:00\u201306:00, 28.00\u00a0p otherwise",
        "E.ON Next Flex (Economy 7)": "17.181\u00a0p 00:30\u201307:30, 32.55\u00a0p otherwise",
    }


def market_tariff(rate):
    """A market-linked library entry (the shipped library has none yet)."""
    schedule = [
        {
            "months": ["All"],
            "days_and_hours": [
                {
                    "days": ["All"],
                    "hours": [{"valid_from": "00:00:00", "valid_to": "00:00:00", "rate": [rate]}],
                }
            ],
        }
    ]
    return library.LibraryTariff.model_validate(
        {
            "id": "trl_" + "0" * 24,
            "provider_id": EON_NEXT,
            "display_name": "Agile",
            "country_code": "GB",
            "currency_code": "GBP",
            "tariff_direction": "IMPORT",
            "tariff_type": "COMMODITY",
            "market_rates": True,
            "timezone": "Europe/London",
            "schedule": schedule,
            "source_url": "https://octopus.energy/agile/",
            "published_date": "2024-07-17",
        }
    )


def test_a_market_library_tariff_is_described_by_its_surcharge():
    def described(rate, locale="en_GB"):
        return describe.library_tariff(
            market_tariff(rate),
            locale=babel.core.Locale.parse(locale),
            country_code="GB",
            gettext=str,
        )

    assert described({"surcharge_fixed": 0.02}) == "follows the market + 2.00\u00a0p"
    both = {"surcharge_fixed": 0.0125, "surcharge_percentage": 0.05}
    assert described(both) == "follows the market + 1.25\u00a0p + 5%"
    assert described(both, "de_DE") == "follows the market + 1,25\u00a0p + 5\u00a0%"
    assert described({"surcharge_percentage": 0.055}) == "follows the market + 5.5%"
    assert described({"surcharge_fixed": 0}) == "follows the market"


def test_times_follow_the_country_and_else_the_locale():
    night = time(23, 0)
    en_gb, en_us = babel.core.Locale.parse("en_GB"), babel.core.Locale.parse("en_US")
    assert describe.clock(night, en_gb, "GB") == "23:00"
    assert describe.clock(night, en_gb, "US") == "11:00 pm"
    assert describe.clock(night, en_us, "DE") == "23:00"
    assert describe.clock(night, en_us, None) == "11:00\u202fPM"
