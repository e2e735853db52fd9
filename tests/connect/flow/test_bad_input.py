"""Bad input gets an error object with a stable code and leaves the session where it was."""

from __future__ import annotations

import pytest

from tests.connect.flow.flow import error, make_session, plain_provider, start, submit


@pytest.fixture
def at_structure(client, tenant):
    token = make_session(client, tenant.test)
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    return token


def at(client, token, option):
    return submit(client, token, "tariff_structure_select", data={"options": [option]})


def test_unknown_route_action_and_data_for_another_page(client, at_structure):
    token = at_structure
    error(client, token, "no_such_page", 400, "route_invalid")
    error(client, token, "tariff_structure_select", 400, "action_invalid", action="EDIT")
    error(
        client, token, "tariff_structure_select", 400, "action_invalid", action="PROVIDER_MISSING"
    )
    error(client, token, "rate_fixed_capture", 409, "route_not_current", data={"cost": 1})
    error(
        client,
        token,
        "provider_select",
        409,
        "route_not_current",
        data={"provider": {"id": plain_provider()}},
    )
    error(
        client,
        token,
        "tariff_structure_select",
        400,
        "options_invalid",
        data={"options": ["ADVANCED"]},
    )
    error(
        client,
        token,
        "tariff_structure_select",
        400,
        "options_invalid",
        data={"options": ["FIXED", "MARKET"]},
    )
    error(client, token, "tariff_structure_select", 400, "options_invalid")


@pytest.mark.parametrize(
    ("cost", "code"),
    [
        (-0.1, "cost_value_negative"),
        (0, "cost_value_zero"),
        ("0,00", "cost_value_zero"),
        (None, "cost_missing"),
        ("abc", "cost_invalid"),
        (True, "cost_invalid"),
        (0.123456, "cost_invalid"),
        (1000, "cost_invalid"),
        ("NaN", "cost_invalid"),
    ],
)
def test_fixed_rate_errors(client, at_structure, cost, code):
    at(client, at_structure, "FIXED")
    error(client, at_structure, "rate_fixed_capture", 400, code, data={"cost": cost})


def period(start, end, cost=0.2):
    return {"valid_from": start, "valid_to": end, "cost": cost}


@pytest.mark.parametrize(
    ("hours", "code", "message"),
    [
        (
            [period("07:00:00", "23:00:00"), period("23:30:00", "07:00:00")],
            "gap_in_time_period",
            "Gap between 23:00 and 23:30",
        ),
        ([period("07:00:00", "22:00:00")], "incomplete_time_period", "Gap between 22:00 and 07:00"),
        (
            [period("07:00:00", "23:00:00"), period("22:00:00", "07:00:00")],
            "overlap_in_time_period",
            "Periods overlap between 22:00 and 23:00",
        ),
        (
            [period("00:00:00", "00:00:00"), period("00:00:00", "00:00:00")],
            "overlap_in_time_period",
            None,
        ),
        ([period("7am", "23:00:00"), period("23:00:00", "07:00:00")], "valid_from_invalid", None),
        (
            [period("07:00:00", "24:00:00"), period("23:00:00", "07:00:00")],
            "valid_to_invalid",
            None,
        ),
        (
            [period("07:00:00", "23:00:00", -1), period("23:00:00", "07:00:00")],
            "cost_value_negative",
            None,
        ),
        (
            [period("07:00:00", "23:00:00", 0), period("23:00:00", "07:00:00")],
            "cost_value_zero",
            None,
        ),
        ([], "hours_invalid", None),
        (None, "hours_missing", None),
        (["07:00"], "hours_invalid", None),
    ],
)
def test_time_of_day_errors(client, at_structure, hours, code, message):
    at(client, at_structure, "TIME_OF_DAY")
    error(client, at_structure, "rate_tod_capture", 400, code, data={"hours": hours})
    if message:
        answer = submit(client, at_structure, "rate_tod_capture", data={"hours": hours}, status=400)
        assert answer["message"].startswith(message)


def test_a_whole_day_single_period_is_fine(client, at_structure):
    at(client, at_structure, "TIME_OF_DAY")
    page = submit(
        client,
        at_structure,
        "rate_tod_capture",
        data={"hours": [period("00:00:00", "00:00:00", 0.3)]},
    )
    assert page["route"] == "tariff_name_capture"


@pytest.mark.parametrize(
    ("surcharge", "code"),
    [
        ({"fixed": "x", "percentage": 0}, "surcharge_fixed_invalid"),
        ({"fixed": 0, "percentage": -100}, "surcharge_percentage_invalid"),
        ({"fixed": 0, "percentage": 1000.5}, "surcharge_percentage_invalid"),
        ({"fixed": 0, "percentage": 1.2345}, "surcharge_percentage_invalid"),
        (None, "surcharge_missing"),
        ("5%", "surcharge_invalid"),
    ],
)
def test_surcharge_errors(client, at_structure, surcharge, code):
    at(client, at_structure, "MARKET")
    error(client, at_structure, "surcharge_capture", 400, code, data={"surcharge": surcharge})


def test_name_and_contract_errors(client, at_structure):
    token = at_structure
    at(client, token, "FIXED")
    submit(client, token, "rate_fixed_capture", data={"cost": 0.3})
    error(
        client,
        token,
        "tariff_name_capture",
        400,
        "tariff_name_missing",
        data={"tariff": {"name": "   "}},
    )
    error(
        client,
        token,
        "tariff_name_capture",
        400,
        "tariff_name_invalid",
        data={"tariff": {"name": "x" * 256}},
    )
    error(client, token, "tariff_name_capture", 400, "tariff_missing", data={})
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Mine"}})
    error(
        client,
        token,
        "contract_term_capture",
        400,
        "date_format_invalid",
        data={"contract_end_date": "30/06/2027"},
    )
    error(
        client,
        token,
        "contract_term_capture",
        400,
        "contract_end_date_invalid",
        data={"contract_end_date": "2001-01-01T00:00:00Z"},
    )
    # Past the year 9999 in UTC: an error object, not an overflow's 500.
    error(
        client,
        token,
        "contract_term_capture",
        400,
        "contract_end_date_invalid",
        data={"contract_end_date": "9999-12-31T23:59:59-12:00"},
    )


@pytest.mark.parametrize(
    ("address", "code"),
    [
        (
            {"city": "London", "post_code": "SW1A 2AA", "country_code": "GB"},
            "address_line1_missing",
        ),
        (
            {"address_line1": "1 A St", "post_code": "SW1A 2AA", "country_code": "GB"},
            "city_missing",
        ),
        ({"address_line1": "1 A St", "city": "London", "country_code": "GB"}, "post_code_missing"),
        ({"address_line1": "1 A St", "city": "London", "post_code": "X"}, "country_code_missing"),
        (
            {"address_line1": "1 A St", "city": "London", "post_code": "X", "country_code": "ZZ"},
            "country_code_invalid",
        ),
        (
            {
                "address_line1": "1 A St",
                "city": "Austin",
                "post_code": "78701",
                "country_code": "US",
            },
            "state_missing",
        ),
        (
            {"address_line1": "1 A\u0000", "city": "L", "post_code": "X", "country_code": "GB"},
            "address_line1_invalid",
        ),
        (
            {"address_line1": "1 A", "city": "L", "post_code": "X" * 33, "country_code": "GB"},
            "post_code_invalid",
        ),
    ],
)
def test_address_errors(client, tenant, address, code):
    token = make_session(client, tenant.test, {"city": "London", "country_code": "GB"})
    assert start(client, token)["route"] == "postal_address_capture"
    error(client, token, "postal_address_capture", 400, code, data={"postal_address": address})


def test_choices_must_be_on_offer(client, tenant):
    token = make_session(client, tenant.test)
    start(client, token)
    error(
        client,
        token,
        "provider_select",
        400,
        "provider_id_invalid",
        data={"provider": {"id": plain_provider("DE")}},
    )
    error(client, token, "provider_select", 400, "provider_id_missing", data={"provider": {}})
    error(client, token, "provider_select", 400, "provider_missing", data={})
    for not_an_id in (["prv_x"], {"a": 1}, 7):  # JSON that is no id: refused, not a 500
        data = {"provider": {"id": not_an_id}}
        error(client, token, "provider_select", 400, "provider_id_invalid", data=data)


def test_region_must_be_one_of_the_countrys(client, tenant):
    address = {
        "address_line1": "Via Dante 1",
        "city": "Milano",
        "post_code": "centro",
        "country_code": "IT",
    }
    token = make_session(client, tenant.test, address)
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider("IT")}})
    assert at(client, token, "MARKET")["route"] == "region_select"
    error(client, token, "region_select", 400, "market_region_invalid", data={"region": "London"})
    error(client, token, "region_select", 400, "market_region_invalid", data={})
