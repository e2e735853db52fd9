"""Every problem of a submit at once: the error object's `code`/`message` is the first, and
`errors` lists all of them with the path of their field in the request's `data`; on the
hosted pages each is shown beside its field. REST schema validation lists its problems too."""

from __future__ import annotations

import copy
import re

from tests.connect.flow.flow import make_session, plain_provider, post, start, submit
from tests.connect.flow.test_advanced_schedules import SCHEDULE, to_advanced
from tests.connect.web import LONDON, Page, follow, press, show
from tests.connect.web import create_session as web_session
from tests.contract_schema import component
from tests.helpers import assert_error

GAP_06 = "Gap between 06:00 and 07:00: the periods must cover all 24 hours."


def problem(code, message, field):
    return {"code": code, "message": message, "field": field}


def listed(error):
    """The error's `errors`, each as (code, message, field)."""
    assert all(list(entry) == ["code", "message", "field"] for entry in error["errors"])
    return [(p["code"], p["message"], p["field"]) for p in error["errors"]]


def refused(client, token, route, data, expected):
    """Submit `data`, expect every problem in `expected` (code, message, field; the first
    also as the error's code/message), and check the page did not move."""
    expected = [problem(*listed) for listed in expected]
    before = start(client, token)
    answer = submit(client, token, route, data=data, status=400)
    assert answer["errors"] == expected
    assert (answer["code"], answer["message"]) == (expected[0]["code"], expected[0]["message"])
    assert list(answer)[:5] == ["object", "type", "code", "message", "errors"]
    after = start(client, token)
    assert (after["route"], after["data"]) == (before["route"], before["data"])


def at(client, tenant, structure):
    token = make_session(client, tenant.test)
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": [structure]})
    return token


def period(start, end, cost=0.2):
    return {"valid_from": start, "valid_to": end, "cost": cost}


def test_every_missing_and_non_text_address_field(client, tenant):
    token = make_session(client, tenant.test, {"city": "London", "country_code": "GB"})
    assert start(client, token)["route"] == "postal_address_capture"
    address = {
        "address_line1": " ",
        "address_line2": 5,
        "city": "",
        "state": ["x"],
        "post_code": "SW1A 2AA",
        "country_code": None,
    }
    refused(
        client,
        token,
        "postal_address_capture",
        {"postal_address": address},
        [
            (
                "address_line1_missing",
                "postal_address.address_line1 is required.",
                "postal_address.address_line1",
            ),
            (
                "postal_address_invalid",
                "Every address field must be text.",
                "postal_address.address_line2",
            ),
            ("city_missing", "postal_address.city is required.", "postal_address.city"),
            ("postal_address_invalid", "Every address field must be text.", "postal_address.state"),
            (
                "country_code_missing",
                "postal_address.country_code is required.",
                "postal_address.country_code",
            ),
        ],
    )


def test_every_field_too_long_and_the_address_as_a_whole(client, tenant):
    token = make_session(client, tenant.test, {"city": "London", "country_code": "GB"})
    start(client, token)
    address = {
        "address_line1": "x" * 256,
        "city": "London",
        "post_code": "X" * 33,
        "country_code": "GB",
    }
    refused(
        client,
        token,
        "postal_address_capture",
        {"postal_address": address},
        [
            (
                "address_line1_invalid",
                "address_line1: Value should have at most 255 items after validation, not 256",
                "postal_address.address_line1",
            ),
            (
                "post_code_invalid",
                "post_code: Value should have at most 32 items after validation, not 33",
                "postal_address.post_code",
            ),
        ],
    )
    # A check of the address as a whole names its field too.
    us = {"address_line1": "1 A St", "city": "Austin", "post_code": "78701", "country_code": "US"}
    refused(
        client,
        token,
        "postal_address_capture",
        {"postal_address": us},
        [("state_missing", "postal_address.state is required in US.", "postal_address.state")],
    )


def test_a_day_and_night_submit_with_two_bad_periods_and_a_bad_charge(client, tenant):
    token = at(client, tenant, "TIME_OF_DAY")
    hours = [period("07:00:00", "23:00:00", -0.1), period("23:00:00", "07:00:00", 0)]
    refused(
        client,
        token,
        "rate_tod_capture",
        {"hours": hours, "standing_charge": "lots"},
        [
            ("cost_value_negative", "A rate cannot be negative.", "hours[0].cost"),
            ("cost_value_zero", "A rate cannot be zero.", "hours[1].cost"),
            ("standing_charge_invalid", "standing_charge must be a number.", "standing_charge"),
        ],
    )


def test_every_bad_time_and_period(client, tenant):
    token = at(client, tenant, "TIME_OF_DAY")
    hours = [5, {"valid_from": "7am", "valid_to": "24:00", "cost": None}]
    refused(
        client,
        token,
        "rate_tod_capture",
        {"hours": hours},
        [
            ("hours_invalid", "Each period must be an object.", "hours[0]"),
            (
                "valid_from_invalid",
                "valid_from must be a time of day as HH:mm:ss.",
                "hours[1].valid_from",
            ),
            (
                "valid_to_invalid",
                "valid_to must be a time of day as HH:mm:ss.",
                "hours[1].valid_to",
            ),
            ("cost_missing", "cost is required.", "hours[1].cost"),
        ],
    )


def test_every_gap_and_overlap_named_by_the_period_that_ends_wrong(client, tenant):
    token = at(client, tenant, "TIME_OF_DAY")
    # Listed night first: each problem names the period as sent, in the day's order.
    two_gaps = [period("23:00", "06:00"), period("07:00", "22:00")]
    refused(
        client,
        token,
        "rate_tod_capture",
        {"hours": two_gaps},
        [
            (
                "gap_in_time_period",
                "Gap between 22:00 and 23:00: the periods must cover all 24 hours.",
                "hours[1].valid_to",
            ),
            ("gap_in_time_period", GAP_06, "hours[0].valid_to"),
        ],
    )
    overlap_and_gap = [period("07:00", "23:00"), period("22:00", "06:00")]
    refused(
        client,
        token,
        "rate_tod_capture",
        {"hours": overlap_and_gap},
        [
            (
                "overlap_in_time_period",
                "Periods overlap between 22:00 and 23:00.",
                "hours[0].valid_to",
            ),
            ("gap_in_time_period", GAP_06, "hours[1].valid_to"),
        ],
    )


def test_a_fixed_rate_missing_with_a_negative_charge(client, tenant):
    token = at(client, tenant, "FIXED")
    refused(
        client,
        token,
        "rate_fixed_capture",
        {"standing_charge": -1},
        [
            ("cost_missing", "cost is required.", "cost"),
            (
                "standing_charge_value_negative",
                "A standing charge cannot be negative.",
                "standing_charge",
            ),
        ],
    )


def test_both_surcharge_fields(client, tenant):
    token = at(client, tenant, "MARKET")
    assert start(client, token)["route"] == "surcharge_capture"
    refused(
        client,
        token,
        "surcharge_capture",
        {"surcharge": {"fixed": "x", "percentage": 2000}},
        [
            ("surcharge_fixed_invalid", "surcharge_fixed must be a number.", "surcharge.fixed"),
            (
                "surcharge_percentage_invalid",
                "The percentage must be above -100 and at most 1000.",
                "surcharge.percentage",
            ),
        ],
    )


def test_names_and_both_contract_dates(client, tenant):
    token = at(client, tenant, "FIXED")
    submit(client, token, "rate_fixed_capture", data={"cost": 0.2})
    refused(
        client,
        token,
        "tariff_name_capture",
        {"tariff": {"name": "  "}},
        [("tariff_name_missing", "Please enter the tariff's name.", "tariff.name")],
    )
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Mine"}})
    refused(
        client,
        token,
        "contract_term_capture",
        {"contract_end_date": "2020-01-01", "contract_start_date": "soon"},
        [
            (
                "contract_end_date_invalid",
                "The contract end date must be in the future.",
                "contract_end_date",
            ),
            (
                "date_format_invalid",
                "contract_start_date must be a date such as 2027-06-30.",
                "contract_start_date",
            ),
        ],
    )


def test_the_provider_name_field(client, tenant):
    token = make_session(client, tenant.test)
    start(client, token)
    submit(client, token, "provider_select", action="PROVIDER_MISSING")
    refused(
        client,
        token,
        "provider_name_capture",
        {"provider": {"name": 7}},
        [
            (
                "provider_name_invalid",
                "The provider's name must be text of at most 255 characters.",
                "provider.name",
            )
        ],
    )


def test_an_error_about_no_one_field_lists_itself(client, tenant):
    token = make_session(client, tenant.test)
    start(client, token)
    answer = submit(
        client, token, "provider_select", data={"provider": {"id": "prv_nope"}}, status=400
    )
    message = "That provider does not serve this address."
    assert (answer["code"], answer["message"]) == ("provider_id_invalid", message)
    assert answer["errors"] == [problem("provider_id_invalid", message, None)]
    answer = submit(client, token, "rate_fixed_capture", data={"cost": 1}, status=409)
    assert answer["errors"] == [problem("route_not_current", answer["message"], None)]
    malformed = post(client, b"[1]").json()
    assert listed(malformed) == [
        ("data_json_invalid", "The request body must be a JSON object.", None)
    ]


# --- the REST API's schema validation -------------------------------------------------------


def test_rest_validation_lists_every_problem(client, tenant):
    body = {"postal_address": {"city": 5, "country_code": "GB"}, "colour": "red"}
    response = client.post("/locations", json=body, headers=tenant.test)
    error = assert_error(response, 400, "city_invalid", context="api.location_create")
    assert listed(error) == [
        (
            "city_invalid",
            "postal_address.city: Input should be a valid string",
            "postal_address.city",
        ),
        ("colour_unknown", "colour is not a known field.", "colour"),
    ]
    component(client, "ErrorObject").validate(error)


def test_rest_list_positions_in_brackets_and_one_problem_listed_once(client, tenant):
    location = client.post(
        "/locations",
        json={"postal_address": {"city": "London", "country_code": "GB"}},
        headers=tenant.test,
    ).json()
    entry = {"months": ["All"], "days_and_hours": [{"days": ["Someday"], "hours": []}]}
    body = {"location_id": location["id"], "schedule": [entry]}
    error = assert_error(
        client.post("/tariffs", json=body, headers=tenant.test), 400, "days_invalid"
    )
    fields = [p["field"] for p in error["errors"]]
    assert fields[0] == "schedule[0].days_and_hours[0].days[0]"
    assert len(fields) == len(set(fields))


def test_an_error_that_is_not_validation_lists_nothing(client, tenant):
    response = client.get("/locations/loc_000000000000000000000000", headers=tenant.test)
    assert "errors" not in assert_error(response, 404, "location_not_found")


# --- the hosted pages -----------------------------------------------------------------------


def field_error(page: Page, name: str) -> str | None:
    """The message shown beside field `name`, as text."""
    found = re.search(
        rf'<p class="error-message" id="{name}-error"><span class="visually-hidden">Error: '
        r"</span>(.*?)</p>",
        page.html,
    )
    return found.group(1) if found else None


def hosted_tod_page(client, tenant):
    token = web_session(client, tenant, address=LONDON)
    page = show(client, token)
    page = follow(client, press(client, page, "Continue", choose="Good Energy"))
    page = follow(client, press(client, page, "Continue", choose="Day and night rates"))
    assert page.route == "rate_tod_capture"
    return page


def test_hosted_pages_show_each_machine_problem_beside_its_field(client, tenant):
    page = hosted_tod_page(client, tenant)
    fill = {
        "Day rate (p/kWh)": "-5",
        "Night rate (p/kWh)": "0",
        "Standing charge per day (p)": "-1",
    }
    again = Page.of(press(client, page, "Continue", fill=fill))
    assert again.route == "rate_tod_capture"
    assert field_error(again, "day_cost") == "The price cannot be negative."
    assert field_error(again, "night_cost") == "The price must be more than 0."
    assert field_error(again, "standing_charge") == "The standing charge cannot be negative."
    assert field_error(again, "day_from") is None
    summary = re.findall(r'<li><a href="#([a-z_]+)">(.*?)</a></li>', again.html)
    assert summary == [
        ("day_cost", "The price cannot be negative."),
        ("night_cost", "The price must be more than 0."),
        ("standing_charge", "The standing charge cannot be negative."),
    ]


def test_hosted_pages_show_each_gap_beside_its_period(client, tenant):
    page = hosted_tod_page(client, tenant)
    fill = {
        "Day starts": "07:00",
        "Day ends": "22:00",
        "Day rate (p/kWh)": "30",
        "Night starts": "23:00",
        "Night ends": "06:00",
        "Night rate (p/kWh)": "10",
    }
    again = Page.of(press(client, page, "Continue", fill=fill))
    message = "The periods must meet: the night starts when the day ends."
    assert field_error(again, "day_to") == message
    assert field_error(again, "night_to") == message


def test_hosted_form_problems_of_the_rate_and_the_charge_together(client, tenant):
    token = web_session(client, tenant, address=LONDON)
    page = show(client, token)
    page = follow(client, press(client, page, "Continue", choose="Good Energy"))
    page = follow(client, press(client, page, "Continue", choose="Fixed rate"))
    fill = {"Price per kWh": "", "Standing charge per day (p)": "12.34567"}
    again = Page.of(press(client, page, "Continue", fill=fill))
    assert field_error(again, "cost") == "Enter your price per kWh."
    assert field_error(again, "standing_charge") == (
        "Enter a number with at most 3 decimal places."
    )
    assert 'value="12.34567"' in again.html  # what was typed stays


def test_hosted_standing_charge_messages_are_translated(client, tenant):
    page = hosted_tod_page(client, tenant)
    fill = {"Day rate (p/kWh)": "30", "Night rate (p/kWh)": "10"}
    fill["Standing charge per day (p)"] = "-1"
    response = press(client, page, "Continue", fill=fill, headers={"Accept-Language": "de"})
    again = Page.of(response)
    assert "Die Grundgebühr darf nicht negativ sein." in again.html


def test_the_advanced_page_lists_every_schedule_problem(client, tenant):
    token, _ = to_advanced(client, tenant)
    schedule = copy.deepcopy(SCHEDULE)
    schedule[0]["days_and_hours"][1]["hours"][0]["rate"][0]["fixed"] = 0
    schedule[1]["months"] = ["Oct", "Oct"]
    answer = submit(
        client, token, "advanced_tariff_capture", data={"schedule": schedule}, status=400
    )
    fields = [(p["code"], p["field"]) for p in answer["errors"]]
    assert fields == [
        ("cost_value_zero", "schedule[0].days_and_hours[1].hours[0].rate[0].fixed"),
        ("months_invalid", "schedule[1].months"),
    ]
    first = answer["errors"][0]
    assert (answer["code"], answer["message"], answer["field"]) == (
        first["code"],
        first["message"],
        first["field"],
    )
