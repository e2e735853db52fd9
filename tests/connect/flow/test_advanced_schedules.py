"""The ADVANCED structure through the JSON flow API: `advanced_tariff_capture`, offered with
`route_options.advanced_tariff_capture`, takes a whole schedule (seasons, day types, public
holidays, consumption tiers) and names the month, day type and time of each problem."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from tariffconnect.connect.flow import advanced
from tariffconnect.tariffs.schedule import MONTHS
from tests.connect.flow.flow import (
    CALLBACK,
    LONDON,
    make_location,
    make_session,
    plain_provider,
    start,
    submit,
)


def advanced_session(client, headers) -> tuple[str, str]:
    """A session whose token enables the advanced page; (token, location id)."""
    location_id = make_location(client, headers, LONDON)
    body = {
        "location_id": location_id,
        "connect_url": "https://app.example.com/connect",
        "callback_url": CALLBACK,
        "route_options": {"advanced_tariff_capture": True},
    }
    response = client.post("/connect/sessions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["connect_token"], location_id


def to_structure(client, token):
    start(client, token)
    page = submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    assert page["route"] == "tariff_structure_select"
    return page


def to_advanced(client, tenant):
    token, location_id = advanced_session(client, tenant.test)
    to_structure(client, token)
    page = submit(client, token, "tariff_structure_select", data={"options": ["ADVANCED"]})
    assert page["route"] == "advanced_tariff_capture"
    return token, location_id


def whole_day(fixed, **tier):
    return [{"valid_from": "00:00", "valid_to": "00:00", "rate": [{"fixed": fixed, **tier}]}]


# Summer (Apr-Sep): a night rate on weekdays, one weekend rate, a holiday rate. Winter
# (Oct-Mar): a 16:00-19:00 peak on every day, the rest tiered (10 kWh at 0.20, then 0.30).
SCHEDULE = [
    {
        "months": ["Apr", "May", "Jun", "Jul", "Aug", "Sep"],
        "days_and_hours": [
            {
                "days": ["Weekdays"],
                "hours": [
                    {"valid_from": "00:00", "valid_to": "07:00", "rate": [{"fixed": 0.1}]},
                    {"valid_from": "07:00", "valid_to": "00:00", "rate": [{"fixed": 0.25}]},
                ],
            },
            {"days": ["Weekend"], "hours": whole_day(0.12)},
            {"days": ["Holidays"], "hours": whole_day(0.08)},
        ],
    },
    {
        "months": ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar"],
        "days_and_hours": [
            {
                "days": ["All"],
                "hours": [
                    {
                        "valid_from": "19:00:00",
                        "valid_to": "16:00:00",
                        "rate": [{"fixed": 0.2, "to_kwh": 10}, {"fixed": 0.3}],
                    },
                    {"valid_from": "16:00:00", "valid_to": "19:00:00", "rate": [{"fixed": 0.35}]},
                ],
            },
            {"days": ["Holidays"], "hours": whole_day(0.09)},
        ],
    },
]


def test_advanced_is_offered_and_accepted_only_with_the_option(client, tenant):
    token = make_session(client, tenant.test)
    page = to_structure(client, token)
    assert page["data"]["options"] == ["FIXED", "TIME_OF_DAY", "MARKET"]
    assert "ADVANCED" not in page["actions"]
    refused = submit(
        client, token, "tariff_structure_select", data={"options": ["ADVANCED"]}, status=400
    )
    assert (refused["code"], refused["message"]) == (
        "options_invalid",
        "Choose one of FIXED, TIME_OF_DAY, MARKET.",
    )
    refused = submit(client, token, "tariff_structure_select", action="ADVANCED", status=400)
    assert refused["code"] == "action_invalid"
    assert start(client, token)["route"] == "tariff_structure_select"

    token, _ = advanced_session(client, tenant.test)
    page = to_structure(client, token)
    assert page["data"]["options"] == ["FIXED", "TIME_OF_DAY", "MARKET", "ADVANCED"]
    assert page["actions"] == ["FIXED", "TIME_OF_DAY", "MARKET", "ADVANCED", "BACK", "CLOSE"]
    page = submit(client, token, "tariff_structure_select", action="ADVANCED")
    assert page["route"] == "advanced_tariff_capture"
    assert page["actions"] == ["BACK", "CLOSE"]
    assert page["data"]["currency_code"] == "GBP"
    assert page["data"]["provider"]["id"] == plain_provider()
    assert page["data"]["schedule"] == advanced.DEFAULT_SCHEDULE
    back = submit(client, token, "advanced_tariff_capture", action="BACK")
    assert back["route"] == "tariff_structure_select"


def prices(client, tenant, location_id, day, offset):
    body = {
        "location_id": location_id,
        "start_time": f"{day}T00:00:00{offset}",
        "end_time": f"{date.fromisoformat(day) + timedelta(days=1)}T00:00:00{offset}",
    }
    response = client.post("/prices", json=body, headers=tenant.test)
    assert response.status_code == 200, response.text
    return [
        (d["valid_from"][11:16], d["valid_to"][11:16], d["price"]["value"])
        for d in response.json()["data"]
    ]


def test_a_seasonal_schedule_with_weekend_holidays_and_tiers_connects(client, tenant):
    token, location_id = to_advanced(client, tenant)
    page = submit(client, token, "advanced_tariff_capture", data={"schedule": SCHEDULE})
    assert page["route"] == "tariff_name_capture"
    provider = page["data"]["provider"]["display_name"]
    assert page["data"]["tariff"]["name"] == f"{provider} seasonal"
    page = submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Seasons"}})
    summary = submit(client, token, "contract_term_capture")
    assert summary["route"] == "tariff_summary"
    assert summary["data"]["tariff"]["tiered"] is True
    assert summary["data"]["connection_type"] == "MANUAL"

    [tariff] = client.get(
        "/tariffs", params={"location_id": location_id}, headers=tenant.test
    ).json()["data"]
    assert (tariff["connection_type"], tariff["display_name"]) == ("MANUAL", "Seasons")
    winter = tariff["schedule"][1]["days_and_hours"][0]["hours"][0]
    assert (winter["valid_from"], winter["valid_to"]) == ("19:00:00", "16:00:00")
    assert [(t["fixed"], t["to_kwh"]) for t in winter["rate"]] == [(0.2, 10.0), (0.3, None)]
    summer = tariff["schedule"][0]["days_and_hours"][0]["hours"]
    assert [(h["valid_from"], h["valid_to"]) for h in summer] == [
        ("00:00:00", "07:00:00"),
        ("07:00:00", "00:00:00"),
    ]

    # A summer Saturday, a summer weekday, a winter Wednesday, Christmas Day (a Friday).
    assert prices(client, tenant, location_id, "2027-06-12", "+01:00") == [("00:00", "00:00", 0.12)]
    assert prices(client, tenant, location_id, "2027-06-14", "+01:00") == [
        ("00:00", "07:00", 0.1),
        ("07:00", "00:00", 0.25),
    ]
    assert prices(client, tenant, location_id, "2027-01-13", "+00:00") == [
        ("00:00", "16:00", 0.2),
        ("16:00", "19:00", 0.35),
        ("19:00", "00:00", 0.2),
    ]
    assert prices(client, tenant, location_id, "2026-12-25", "+00:00") == [("00:00", "00:00", 0.09)]


def changed(change):
    schedule = copy.deepcopy(SCHEDULE)
    change(schedule)
    return schedule


def _set(path, value):
    """A change that sets schedule[...] at `path` (a tuple of keys and indexes)."""

    def change(schedule):
        target = schedule
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


PEAK = (1, "days_and_hours", 0, "hours", 1)
WINTER_ALL = "schedule[1].days_and_hours[0]"


@pytest.mark.parametrize(
    ("change", "code", "message", "field"),
    [
        (
            _set((*PEAK, "rate"), []),
            "fixed_missing",
            "Oct-Mar, All days, 16:00-19:00: the rate is missing.",
            f"{WINTER_ALL}.hours[1].rate",
        ),
        (
            _set((*PEAK, "rate"), [{"fixed": None}]),
            "fixed_missing",
            "Oct-Mar, All days, 16:00-19:00: the rate is missing.",
            f"{WINTER_ALL}.hours[1].rate[0].fixed",
        ),
        (
            _set((0, "days_and_hours", 1, "hours", 0, "rate"), [{"fixed": 0}]),
            "cost_value_zero",
            "Apr-Sep, Weekend, 00:00-00:00: the rate cannot be zero.",
            "schedule[0].days_and_hours[1].hours[0].rate[0].fixed",
        ),
        (
            _set((0, "days_and_hours", 2, "hours", 0, "rate"), [{"fixed": -0.01}]),
            "cost_value_negative",
            "Apr-Sep, Holidays, 00:00-00:00: the rate cannot be negative.",
            "schedule[0].days_and_hours[2].hours[0].rate[0].fixed",
        ),
        (
            _set((1, "days_and_hours", 0, "hours", 0, "rate", 1, "fixed"), "lots"),
            "fixed_invalid",
            "Oct-Mar, All days, 19:00-16:00: the rate above 10 kWh must be a number below "
            "1000 (5 decimals at most).",
            f"{WINTER_ALL}.hours[0].rate[1].fixed",
        ),
        (
            _set((1, "days_and_hours", 0, "hours", 0, "rate", 0, "to_kwh"), None),
            "to_kwh_invalid",
            "Oct-Mar, All days, 19:00-16:00: enter the kWh this rate applies up to, above "
            "the tier before.",
            f"{WINTER_ALL}.hours[0].rate[0].to_kwh",
        ),
        (
            _set((1, "days_and_hours", 0, "hours", 0, "rate", 1, "to_kwh"), 20),
            "to_kwh_invalid",
            "Oct-Mar, All days, 19:00-16:00: the last rate tier has no upper limit (to_kwh).",
            f"{WINTER_ALL}.hours[0].rate[1].to_kwh",
        ),
        (
            _set((*PEAK, "valid_to"), "7pm"),
            "valid_to_invalid",
            "Oct-Mar, All days: enter when the window ends as a time of day, like 16:00.",
            f"{WINTER_ALL}.hours[1].valid_to",
        ),
        (
            _set((*PEAK, "valid_from"), "16:30"),
            "gap_in_time_period",
            "Oct-Mar, All days, 16:00-16:30: no rate covers this time.",
            f"{WINTER_ALL}.hours",
        ),
        (
            _set((*PEAK, "valid_to"), "20:00"),
            "overlap_in_time_period",
            "Oct-Mar, All days, 19:00-16:00: overlaps 16:00-20:00.",
            f"{WINTER_ALL}.hours[0].valid_from",
        ),
        (
            _set((*PEAK, "valid_to"), "16:00"),
            "valid_to_invalid",
            "Oct-Mar, All days, 16:00-16:00: a window cannot end when it starts "
            "(00:00-00:00 is the whole day).",
            f"{WINTER_ALL}.hours[1].valid_to",
        ),
        (
            _set((0, "months"), ["Apr", "May", "Jun", "Jul", "Aug"]),
            "incomplete_time_period",
            "Sep: no season covers these months.",
            "schedule",
        ),
        (
            _set((1, "days_and_hours", 0, "days"), ["Weekend"]),
            "incomplete_time_period",
            "Jan, Mon: no day rule gives a price",
            "schedule",
        ),
        (
            _set((0, "days_and_hours", 1, "days"), ["Weekend", "Sunday"]),
            "days_invalid",
            "schedule[0].days_and_hours[1].days must list day names once each: All, "
            "Weekdays, Weekend, Holidays or Mon to Sun.",
            "schedule[0].days_and_hours[1].days",
        ),
        (
            _set((1, "months"), ["Oct", "Oct"]),
            "months_invalid",
            "schedule[1].months must list month names (Jan to Dec) once each, or All.",
            "schedule[1].months",
        ),
        (
            _set((1,), "winter"),
            "schedule_invalid",
            "schedule[1] must be an object.",
            "schedule[1]",
        ),
    ],
)
def test_each_problem_names_where_it_is_and_changes_nothing(
    client, tenant, change, code, message, field
):
    token, location_id = to_advanced(client, tenant)
    before = start(client, token)
    answer = submit(
        client, token, "advanced_tariff_capture", data={"schedule": changed(change)}, status=400
    )
    assert answer["object"] == "error"
    assert (answer["code"], answer["message"], answer["field"]) == (code, message, field)
    assert answer["context"] == "connect.advanced_tariff_capture"
    after = start(client, token)
    assert (after["route"], after["data"]) == (before["route"], before["data"])
    assert after["data"]["schedule"] == advanced.DEFAULT_SCHEDULE
    tariffs = client.get("/tariffs", params={"location_id": location_id}, headers=tenant.test)
    assert tariffs.json()["data"] == []
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert session["status"] != "COMPLETED"


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (None, "schedule_missing", "data.schedule is required."),
        ({"schedule": {}}, "schedule_invalid", "data.schedule must list 1 to 16 seasons."),
        ({"schedule": []}, "schedule_invalid", "data.schedule must list 1 to 16 seasons."),
    ],
)
def test_a_missing_or_shapeless_schedule_is_refused(client, tenant, data, code, message):
    token, _ = to_advanced(client, tenant)
    answer = submit(client, token, "advanced_tariff_capture", data=data, status=400)
    assert (answer["code"], answer["message"], answer["field"]) == (code, message, "schedule")


def test_every_problem_is_found_at_once():
    schedule = copy.deepcopy(SCHEDULE)
    schedule[0]["days_and_hours"][1]["hours"][0]["rate"] = [{"fixed": None}]
    schedule[1]["days_and_hours"][0]["hours"][1]["valid_from"] = "16:30"
    schedule[1]["days_and_hours"][1]["hours"][0]["rate"] = [{"fixed": 0}]
    _, problems = advanced.check(schedule)
    assert [(p.code, p.message, p.field) for p in problems] == [
        (
            "fixed_missing",
            "Apr-Sep, Weekend, 00:00-00:00: the rate is missing.",
            "schedule[0].days_and_hours[1].hours[0].rate[0].fixed",
        ),
        (
            "gap_in_time_period",
            "Oct-Mar, All days, 16:00-16:30: no rate covers this time.",
            "schedule[1].days_and_hours[0].hours",
        ),
        (
            "cost_value_zero",
            "Oct-Mar, Holidays, 00:00-00:00: the rate cannot be zero.",
            "schedule[1].days_and_hours[1].hours[0].rate[0].fixed",
        ),
    ]


def test_months_read_as_ranges_around_the_year():
    assert advanced.label(advanced.Where(("Nov", "Dec", "Jan"), ("Sat",), "07:00-09:00")) == (
        "Nov-Jan, Sat, 07:00-09:00"
    )
    assert advanced.label(advanced.Where(("Jan", "Mar", "Apr", "Jun"))) == "Jan/Mar-Apr/Jun"
    assert advanced.label(advanced.Where(("All",), ("All",))) == "All months, All days"


@pytest.mark.parametrize("key", ["%d", "%(where)s", "%"])
def test_an_unknown_key_is_named_as_sent(client, tenant, key):
    # The client's key is a parameter of the message, never part of its %-template.
    token, _ = to_advanced(client, tenant)
    schedule = copy.deepcopy(SCHEDULE)
    schedule[0][key] = 1
    answer = submit(
        client, token, "advanced_tariff_capture", data={"schedule": schedule}, status=400
    )
    message = f"schedule[0].{key} is not a known field."
    assert (answer["code"], answer["message"], answer["field"]) == (
        "schedule_invalid",
        message,
        "schedule[0]",
    )


def test_the_errors_list_stops_at_fifty(client, tenant):
    token, _ = to_advanced(client, tenant)
    zero = {"valid_from": "00:00", "valid_to": "00:00", "rate": [{"fixed": 0}]}
    rules = [{"days": [day], "hours": [dict(zero)]} for day in ("Mon", "Tue", "Wed", "Thu")]
    schedule = [{"months": [month], "days_and_hours": rules} for month in MONTHS]
    schedule += [dict(entry, dates=[1]) for entry in schedule[:4]]  # 16 seasons, 64 problems
    answer = submit(
        client, token, "advanced_tariff_capture", data={"schedule": schedule}, status=400
    )
    assert answer["code"] == "cost_value_zero"
    assert len(answer["errors"]) == 50
    assert {problem["code"] for problem in answer["errors"]} == {"cost_value_zero"}
