"""The network-free conversion of an Octopus account's agreements into our tariffs, on answers
shaped as the API docs show them (built with the fixture server's builders, parsed by the
client's answers module)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from tariffconnect.integrations import sdk_tariff
from tariffconnect.integrations.octopus import agreements, answers
from tariffconnect.integrations.sdk_tariff import PullFailed
from tariffconnect.market import sources
from tests.integrations.octopus.fixture_server import (
    account,
    account_property,
    agreement,
    meter_point,
    rate_row,
)

GO = "E-1R-GO-VAR-22-10-14-C"
E7 = "E-2R-VAR-22-11-01-C"
AGILE = "E-1R-AGILE-24-10-01-C"
OUTGOING = "E-1R-OUTGOING-VAR-24-10-26-C"


def published(body):
    """`body` as the client reads it off the wire (JSON numbers as Decimal)."""
    return json.loads(json.dumps(body), parse_float=Decimal)


def parsed_account(body):
    return answers.account(published(body))


def rates(rows):
    return [answers.rate(row) for row in published(rows)]


def the_account():
    return parsed_account(
        account(
            "A-1234ABCD",
            [
                account_property(
                    1,
                    "sw1a 2aa",
                    [
                        meter_point(
                            "1200000000001",
                            [
                                agreement(E7, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
                                agreement(GO, "2025-01-01T00:00:00Z", "2027-06-01T00:00:00Z"),
                            ],
                        ),
                        meter_point(
                            "1200000000002",
                            [agreement(OUTGOING, "2025-01-01T00:00:00Z")],
                            is_export=True,
                        ),
                    ],
                ),
                account_property(2, "M1 1AE", [], line_1="1 Piccadilly"),
            ],
        )
    )


def test_the_property_is_found_by_its_post_code_whatever_the_spacing_and_case():
    acct = the_account()
    assert [p.id for p in agreements.properties_at(acct, "SW1A2AA")] == [1]
    assert [p.id for p in agreements.properties_at(acct, " Sw1a  2aa ")] == [1]
    assert [p.id for p in agreements.properties_at(acct, "m11ae")] == [2]
    assert agreements.properties_at(acct, "SW1A 2AB") == []


def test_import_and_export_points_are_told_apart():
    prop = the_account().properties[0]
    assert [p.mpan for p in agreements.import_points(prop)] == ["1200000000001"]
    assert [p.mpan for p in agreements.export_points(prop)] == ["1200000000002"]


def test_the_current_agreement_is_chosen_by_valid_from_and_valid_to():
    point = the_account().properties[0].electricity_meter_points[0]
    at = datetime(2024, 6, 1, tzinfo=UTC)
    assert agreements.current_agreement(point, at).tariff_code == E7
    edge = datetime(2025, 1, 1, tzinfo=UTC)  # valid_to is exclusive, valid_from inclusive
    assert agreements.current_agreement(point, edge).tariff_code == GO
    assert agreements.current_agreement(point, datetime(2027, 6, 1, tzinfo=UTC)) is None
    assert agreements.current_agreement(point, datetime(2023, 1, 1, tzinfo=UTC)) is None
    export = the_account().properties[0].electricity_meter_points[1]
    far = datetime(2040, 1, 1, tzinfo=UTC)  # an open valid_to runs on
    assert agreements.current_agreement(export, far).tariff_code == OUTGOING


def go_day_rows(day="2026-12-02"):
    """Go's published half-hour periods of one winter day (UTC = local), newest first: 8.5 p
    00:30-05:30, 27.7 p otherwise, as the API splits them at the window edges."""
    return [
        rate_row(27.7, f"{day}T05:30:00Z", "2026-12-03T00:30:00Z"),
        rate_row(8.5, f"{day}T00:30:00Z", f"{day}T05:30:00Z"),
        rate_row(27.7, "2026-12-01T05:30:00Z", f"{day}T00:30:00Z"),
    ]


STANDING = [rate_row(53.35, "2026-04-01T00:00:00Z", None, payment_method="DIRECT_DEBIT")]


def go_agreement():
    return (
        parsed_account(
            account(
                "A-1234ABCD",
                [
                    account_property(
                        1,
                        "SW1A 2AA",
                        [
                            meter_point(
                                "1", [agreement(GO, "2025-01-01T00:00:00Z", "2027-06-01T00:00:00Z")]
                            )
                        ],
                    )
                ],
            )
        )
        .properties[0]
        .electricity_meter_points[0]
        .agreements[0]
    )


def test_go_becomes_its_published_windows_with_the_standing_charge_and_contract_end():
    out = agreements.rates_tariff(
        "Octopus Go", go_agreement(), rates(go_day_rows()), rates(STANDING), date(2026, 12, 2)
    )
    assert out == {
        "display_name": "Octopus Go",
        "timezone": "Europe/London",
        "data": [
            {
                "months": ["All"],
                "days_and_hours": [
                    {
                        "days": ["All"],
                        "hours": [
                            {
                                "valid_from": "00:00:00",
                                "valid_to": "00:30:00",
                                "rate": [{"value": 0.277}],
                            },
                            {
                                "valid_from": "00:30:00",
                                "valid_to": "05:30:00",
                                "rate": [{"value": 0.085}],
                            },
                            {
                                "valid_from": "05:30:00",
                                "valid_to": "00:00:00",
                                "rate": [{"value": 0.277}],
                            },
                        ],
                    }
                ],
            }
        ],
        "contract_end_date": "2027-06-01T00:00:00Z",
        "provider_tariff_expiry_date": "2027-06-01T00:00:00Z",
        "standing_charge": {"value": 0.5335},
    }
    parsed = sdk_tariff.parse(out, timezone="Europe/London")  # the pull's validation accepts it
    assert parsed.contract_end_date == datetime(2027, 6, 1, tzinfo=UTC)


def test_summer_time_windows_are_in_local_clock_time():
    rows = [
        rate_row(27.7, "2026-07-01T04:30:00Z", "2026-07-01T23:30:00Z"),
        rate_row(8.5, "2026-06-30T23:30:00Z", "2026-07-01T04:30:00Z"),
        rate_row(27.7, "2026-06-30T04:30:00Z", "2026-06-30T23:30:00Z"),
    ]
    out = agreements.rates_tariff(
        "Go", go_agreement(), rates(rows), rates(STANDING), date(2026, 7, 1)
    )
    hours = out["data"][0]["days_and_hours"][0]["hours"]
    assert [(h["valid_from"], h["valid_to"], h["rate"][0]["value"]) for h in hours] == [
        ("00:00:00", "00:30:00", 0.277),
        ("00:30:00", "05:30:00", 0.085),
        ("05:30:00", "00:00:00", 0.277),
    ]


def test_one_rate_all_day_is_a_fixed_tariff():
    rows = [rate_row(24.5, "2026-10-01T00:00:00Z", None)]
    out = agreements.rates_tariff(
        "Flexible", go_agreement(), rates(rows), rates(STANDING), date(2026, 12, 2)
    )
    assert out["data"][0]["days_and_hours"][0]["hours"] == [
        {"valid_from": "00:00:00", "valid_to": "00:00:00", "rate": [{"value": 0.245}]}
    ]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        (go_day_rows()[:1] + go_day_rows()[2:], "the unit rates leave a gap on 2026-12-02"),
        (
            [rate_row(27.7, "2026-12-02T05:00:00Z", "2026-12-03T00:30:00Z"), *go_day_rows()[1:]],
            "the unit rates overlap on 2026-12-02",
        ),
        (go_day_rows()[1:], "the unit rates do not cover 2026-12-02"),
        ([], "the unit rates do not cover 2026-12-02"),
    ],
)
def test_rates_that_do_not_tile_the_day_fail_the_pull(rows, reason):
    with pytest.raises(PullFailed) as failed:
        agreements.rates_tariff(
            "Go", go_agreement(), rates(rows), rates(STANDING), date(2026, 12, 2)
        )
    assert failed.value.reason == reason


def test_a_clock_change_day_is_refused_for_reading_windows():
    with pytest.raises(PullFailed) as failed:
        agreements.rates_tariff(
            "Go", go_agreement(), rates(go_day_rows()), rates(STANDING), date(2026, 10, 25)
        )
    assert failed.value.reason == "the day's clock changes: its windows are read from another day"


def test_economy_7_has_the_smart_meter_night_in_local_time_and_expires_at_the_clock_change():
    e7 = the_account().properties[0].electricity_meter_points[0].agreements[0]
    open_e7 = answers.Agreement(e7.tariff_code, e7.valid_from, None)
    day = rates([rate_row(30.1, "2026-04-01T00:00:00Z", None)])
    night = rates([rate_row(12.6, "2026-04-01T00:00:00Z", None)])
    winter = agreements.day_night_tariff(
        "Flexible Economy 7",
        open_e7,
        day,
        night,
        rates(STANDING),
        datetime(2026, 12, 2, 12, tzinfo=UTC),
    )
    assert winter["data"][0]["days_and_hours"][0]["hours"] == [
        {"valid_from": "07:30:00", "valid_to": "00:30:00", "rate": [{"value": 0.301}]},
        {"valid_from": "00:30:00", "valid_to": "07:30:00", "rate": [{"value": 0.126}]},
    ]
    assert winter["provider_tariff_expiry_date"] == "2027-03-28T01:00:00Z"
    assert winter["contract_end_date"] is None
    summer = agreements.day_night_tariff(
        "Flexible Economy 7",
        open_e7,
        day,
        night,
        rates(STANDING),
        datetime(2026, 7, 1, 12, tzinfo=UTC),
    )
    assert summer["data"][0]["days_and_hours"][0]["hours"] == [
        {"valid_from": "08:30:00", "valid_to": "01:30:00", "rate": [{"value": 0.301}]},
        {"valid_from": "01:30:00", "valid_to": "08:30:00", "rate": [{"value": 0.126}]},
    ]
    assert summer["provider_tariff_expiry_date"] == "2026-10-25T01:00:00Z"
    sdk_tariff.parse(summer, timezone="Europe/London")


def test_an_agreement_ending_before_the_clock_change_expires_with_it():
    e7 = the_account().properties[0].electricity_meter_points[0].agreements[0]  # to 2025-01-01
    day = rates([rate_row(30.1, "2024-01-01T00:00:00Z", None)])
    out = agreements.day_night_tariff(
        "E7",
        e7,
        day,
        day,
        rates([rate_row(50.0, "2024-01-01T00:00:00Z", None)]),
        datetime(2024, 12, 1, tzinfo=UTC),
    )
    assert out["provider_tariff_expiry_date"] == "2025-01-01T00:00:00Z"
    assert out["contract_end_date"] == "2025-01-01T00:00:00Z"


def test_a_missing_rate_fails_the_pull_rather_than_guessing():
    e7 = the_account().properties[0].electricity_meter_points[0].agreements[0]
    later = rates([rate_row(30.1, "2024-07-01T00:00:00Z", None)])
    with pytest.raises(PullFailed) as failed:
        agreements.day_night_tariff("E7", e7, later, later, later, datetime(2024, 6, 1, tzinfo=UTC))
    assert failed.value.reason == "no day is published for 2024-06-01T00:00:00Z"


def test_the_direct_debit_standing_charge_is_preferred():
    rows = [
        rate_row(60.0, "2026-04-01T00:00:00Z", None, payment_method="NON_DIRECT_DEBIT"),
        rate_row(53.35, "2026-04-01T00:00:00Z", None, payment_method="DIRECT_DEBIT"),
    ]
    out = agreements.rates_tariff(
        "Go", go_agreement(), rates(go_day_rows()), rates(rows), date(2026, 12, 2)
    )
    assert out["standing_charge"] == {"value": 0.5335}


def test_agile_is_a_market_tariff_on_its_regions_source_with_no_surcharge():
    deal = answers.Agreement(AGILE, datetime(2025, 1, 1, tzinfo=UTC), None)
    code = agreements.tariff_code(deal)
    assert agreements.is_agile_import(code)
    out = agreements.market_tariff(
        "Agile Octopus", code, deal, rates(STANDING), datetime(2026, 12, 2, tzinfo=UTC)
    )
    london = sources.find("gb-london")
    assert london is not None and sources.gsp_group(london) == "_C"
    assert out == {
        "display_name": "Agile Octopus",
        "timezone": "Europe/London",
        "data": [
            {
                "months": ["All"],
                "days_and_hours": [
                    {
                        "days": ["All"],
                        "hours": [
                            {
                                "valid_from": "00:00:00",
                                "valid_to": "00:00:00",
                                "rate": [{"surcharge_fixed": 0, "surcharge_percentage": 0}],
                            }
                        ],
                    }
                ],
            }
        ],
        "contract_end_date": None,
        "standing_charge": {"value": 0.5335},
        "market_rates": True,
        "market_source_id": london.id,
    }


def test_agile_outgoing_is_not_agile_import_and_a_gas_code_is_refused():
    outgoing = agreements.tariff_code(
        answers.Agreement("E-1R-AGILE-OUTGOING-19-05-13-C", datetime(2025, 1, 1, tzinfo=UTC), None)
    )
    assert not agreements.is_agile_import(outgoing)
    with pytest.raises(PullFailed) as gas:
        agreements.tariff_code(
            answers.Agreement("G-1R-VAR-22-11-01-C", datetime(2025, 1, 1, tzinfo=UTC), None)
        )
    assert gas.value.reason == "the agreement is not for electricity"
    with pytest.raises(PullFailed) as odd:
        agreements.tariff_code(
            answers.Agreement("E-3R-X-C", datetime(2025, 1, 1, tzinfo=UTC), None)
        )
    assert odd.value.reason == "the agreement's tariff code is not an Octopus tariff code"


def test_overlapping_agreements_fail_the_pull():
    point = (
        parsed_account(
            account(
                "A-1234ABCD",
                [
                    account_property(
                        1,
                        "SW1A 2AA",
                        [
                            meter_point(
                                "1200000000009",
                                [
                                    agreement(GO, "2025-01-01T00:00:00Z"),
                                    agreement(E7, "2025-06-01T00:00:00Z"),
                                ],
                            )
                        ],
                    )
                ],
            )
        )
        .properties[0]
        .electricity_meter_points[0]
    )
    with pytest.raises(PullFailed) as failed:
        agreements.current_agreement(point, datetime(2026, 1, 1, tzinfo=UTC))
    assert failed.value.reason == "meter point 1200000000009 has overlapping agreements"


@pytest.mark.parametrize(
    ("day", "window"),
    [
        (date(2026, 12, 1), (time(0, 30), time(7, 30))),  # GMT
        (date(2026, 7, 1), (time(1, 30), time(8, 30))),  # BST
        # The clock-change days themselves: the UTC window spans the change.
        (date(2026, 3, 29), (time(0, 30), time(8, 30))),
        (date(2026, 10, 25), (time(1, 30), time(7, 30))),
    ],
)
def test_economy_7_night_is_00_30_to_07_30_utc_on_the_local_clock(
    day: date, window: tuple[time, time]
) -> None:
    assert agreements.economy7_night(day) == window
