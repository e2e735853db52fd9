"""POST /audits/{location_id}: the matrix, refusals, exact breakdowns, DST, and (Hypothesis)
`total` equal to POST /prices' value over random fixed, time-of-use and market tariffs."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import assert_error, assert_scoped
from tests.schedules.support import check_head, connect, connect_market, make_location, post
from tests.tariffs.support import flat, tariff_body, two_rate

CONTEXT = "api.price_audit"
WINDOW = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-01T01:00:00Z"}


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)


def path(location):
    return f"/audits/{location['id']}"


def rows(body):
    return [(d["valid_from"], d["valid_to"], d["tariff_rate"]) for d in body["data"]]


def commodity(market, fixed, percentage, aggregate):
    return {
        "market": market,
        "fixed": fixed,
        "percentage": percentage,
        "tier": 0.0,
        "aggregate": aggregate,
    }


def test_matrix(client, tenant, other_tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        path(location),
        json=WINDOW,
        not_found_code="location_not_found",
        context=CONTEXT,
    )


def test_market_and_network_parts_in_full(client, tenant, database, location):
    source = connect_market(
        client,
        tenant,
        database,
        location["id"],
        "2026-06-01T00:00:00+00:00",
        ["0.10", "0.10", "-0.02", "0.30"],
        surcharge_fixed=0.02,
        surcharge_percentage=0.05,
    )
    network = tariff_body(location["id"], two_rate(0.01, 0.05), tariff_type="NON_COMMODITY")
    connect(client, tenant, network)
    body = post(client, tenant, path(location), WINDOW)
    assert check_head(body, obj="price_audit", prefix="tra", tenant=tenant, location=location) == {
        "object": "price_audit",
        "live_mode": False,
        "location_id": location["id"],
        "location_timezone": "Europe/London",
        "currency_code": "GBP",
        "tariff_direction": "IMPORT",
        "request": {
            "start_time": "2026-06-01T00:00:00Z",
            "end_time": "2026-06-01T01:00:00Z",
            "tariff_direction": "IMPORT",
        },
        "market_sources": [source],
        # (market + 0.02) x 1.05, plus the night network rate 0.01 (00:30-07:30 local).
        "data": [
            {
                "valid_from": "2026-06-01T00:00:00Z",
                "valid_to": "2026-06-01T00:30:00Z",
                "tariff_rate": {
                    "commodity": commodity(0.1, 0.02, 0.006, 0.126),
                    "non_commodity": {"fixed": 0.01, "tier": 0.0},
                    "total": 0.136,
                    "confidence": 1.0,
                },
            },
            {
                "valid_from": "2026-06-01T00:30:00Z",
                "valid_to": "2026-06-01T00:45:00Z",
                "tariff_rate": {
                    "commodity": commodity(-0.02, 0.02, 0.0, 0.0),
                    "non_commodity": {"fixed": 0.01, "tier": 0.0},
                    "total": 0.01,
                    "confidence": 1.0,
                },
            },
            {
                "valid_from": "2026-06-01T00:45:00Z",
                "valid_to": "2026-06-01T01:00:00Z",
                "tariff_rate": {
                    "commodity": commodity(0.3, 0.02, 0.016, 0.336),
                    "non_commodity": {"fixed": 0.01, "tier": 0.0},
                    "total": 0.346,
                    "confidence": 1.0,
                },
            },
        ],
        "account_id": tenant.account_id,
    }


def test_parts_that_change_under_an_equal_total_split_the_interval(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], two_rate(0.1, 0.3)))
    network = tariff_body(location["id"], two_rate(0.25, 0.05), tariff_type="NON_COMMODITY")
    connect(client, tenant, network)
    window = {"start_time": "2026-06-01T06:00:00+01:00", "end_time": "2026-06-01T09:00:00+01:00"}
    response = client.post(f"/prices/{location['id']}", json=window, headers=tenant.test)
    assert [d["price"]["value"] for d in response.json()["data"]] == [0.35]
    assert rows(post(client, tenant, path(location), window)) == [
        (
            "2026-06-01T06:00:00+01:00",
            "2026-06-01T07:30:00+01:00",
            {
                "commodity": commodity(0.0, 0.1, 0.0, 0.1),
                "non_commodity": {"fixed": 0.25, "tier": 0.0},
                "total": 0.35,
                "confidence": 1.0,
            },
        ),
        (
            "2026-06-01T07:30:00+01:00",
            "2026-06-01T09:00:00+01:00",
            {
                "commodity": commodity(0.0, 0.3, 0.0, 0.3),
                "non_commodity": {"fixed": 0.05, "tier": 0.0},
                "total": 0.35,
                "confidence": 1.0,
            },
        ),
    ]


def test_export_with_zeros_direction_and_no_non_commodity(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.15), tariff_direction="EXPORT"))
    body = post(client, tenant, path(location), WINDOW | {"direction": "EXPORT"})
    assert body["tariff_direction"] == "EXPORT" and body["market_sources"] == []
    assert rows(body) == [
        (
            "2026-06-01T00:00:00Z",
            "2026-06-01T01:00:00Z",
            {
                "commodity": commodity(0.0, 0.15, 0.0, 0.15),
                "non_commodity": None,
                "total": 0.15,
                "confidence": 1.0,
            },
        )
    ]


def test_autumn_night_is_priced_by_the_wall_clock(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], two_rate(0.1, 0.3)))
    window = {"start_time": "2026-10-24T23:00:00Z", "end_time": "2026-10-25T08:00:00Z"}
    body = post(client, tenant, path(location), window)
    # 00:30 BST (23:30Z) to 07:30 GMT (07:30Z): eight hours at night.
    assert [(a, b, r["total"]) for a, b, r in rows(body)] == [
        ("2026-10-24T23:00:00Z", "2026-10-24T23:30:00Z", 0.3),
        ("2026-10-24T23:30:00Z", "2026-10-25T07:30:00Z", 0.1),
        ("2026-10-25T07:30:00Z", "2026-10-25T08:00:00Z", 0.3),
    ]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"end_time": "2026-09-01T00:00:01Z"}, 400, "time_window_too_long"),
        ({"end_time": "2026-05-31T00:00:00Z"}, 400, "time_window_invalid"),
        ({"start_time": "2026-06-01T00:00:00"}, 400, "start_time_invalid"),
        ({"tariff_direction": "LOCAL"}, 400, "tariff_direction_invalid"),
        ({"include_carbon": True}, 400, "include_carbon_unknown"),
        ({"tariff_direction": "EXPORT"}, 422, "no_tariff_connected"),
    ],
)
def test_refusals(client, tenant, location, change, status, code):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    response = client.post(path(location), json=WINDOW | change, headers=tenant.test)
    assert_error(response, status, code, context=CONTEXT)


def test_missing_market_prices_are_422(client, tenant, database, location):
    start = "2026-06-01T00:00:00+00:00"
    connect_market(client, tenant, database, location["id"], start, ["0.1"])
    response = client.post(path(location), json=WINDOW, headers=tenant.test)
    assert_error(response, 422, "no_price_data", context=CONTEXT)


# --- total == /prices, over random tariffs ---------------------------------------------------

BASE = datetime(2026, 10, 24, 12, tzinfo=UTC)  # 1.5 days before BST ends
RATES = [0.1, 0.12345, 0.2, 0.35]
PLUS_ONE = timezone(timedelta(hours=1))


@st.composite
def tariff_set(draw):
    """1 to 3 tariffs: a fixed, time-of-use or market commodity one, maybe a second market
    one, maybe a time-of-use network charge."""
    chosen = []
    kind = draw(st.sampled_from(["flat", "tou", "market"]))
    cut = draw(st.sampled_from(["00:30:00", "01:30:00", "02:00:00"]))
    if kind == "flat":
        chosen.append(("fixed", flat(draw(st.sampled_from(RATES)))))
    elif kind == "tou":
        rates = draw(st.lists(st.sampled_from(RATES), min_size=2, max_size=2))
        chosen.append(("fixed", two_rate(*rates, start=cut)))
    for _ in range(1 if kind == "market" else draw(st.integers(0, 1))):
        surcharges = {
            "surcharge_fixed": draw(st.sampled_from([0.0, 0.02, -0.01, 0.02123])),
            "surcharge_percentage": draw(st.sampled_from([0.0, 0.05, 0.2])),
        }
        minutes = draw(st.sampled_from([15, 30, 60]))
        count = 3 * 24 * 60 // minutes
        prices = draw(st.lists(st.sampled_from(["0.1", "-0.0234", "0.23456"]), min_size=count,
                               max_size=count))  # fmt: skip
        chosen.append(("market", (surcharges, minutes, prices)))
    if draw(st.booleans()):
        rates = draw(st.lists(st.sampled_from([0.01, 0.05]), min_size=2, max_size=2))
        chosen.append(("network", two_rate(*rates, start=cut)))
    return chosen


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    chosen=tariff_set(),
    offset=st.integers(0, 48 * 60),
    length=st.integers(1, 24 * 60),
    as_local=st.booleans(),
)
def test_total_is_the_prices_value(client, tenant, database, chosen, offset, length, as_local):
    location = make_location(client, tenant)
    for kind, spec in chosen:
        if kind == "market":
            surcharges, minutes, prices = spec
            connect_market(
                client, tenant, database, location["id"], BASE.isoformat(), prices,
                minutes=minutes, **surcharges,
            )  # fmt: skip
        else:
            extra = {"tariff_type": "NON_COMMODITY"} if kind == "network" else {}
            connect(client, tenant, tariff_body(location["id"], spec, **extra))
    start = BASE + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    # Asked in UTC or at +01:00: the answers come back in the end time's offset either way.
    shown = end.astimezone(PLUS_ONE) if as_local else end
    window = {"start_time": start.isoformat(), "end_time": shown.isoformat()}
    priced = post(client, tenant, f"/prices/{location['id']}", window)["data"]
    audited = post(client, tenant, path(location), window)["data"]
    assert audited[0]["valid_from"] == priced[0]["valid_from"]
    assert audited[-1]["valid_to"] == priced[-1]["valid_to"]
    boundaries = {d["valid_from"] for d in priced}
    at = 0
    for row, following in zip(audited, [*audited[1:], None], strict=True):
        while priced[at]["valid_to"] <= row["valid_from"] and at + 1 < len(priced):
            at += 1
        price = priced[at]
        assert price["valid_from"] <= row["valid_from"] and row["valid_to"] <= price["valid_to"]
        rate = row["tariff_rate"]
        assert rate["total"] == price["price"]["value"]
        assert rate["confidence"] == price["price"]["confidence"]
        shown = (rate["commodity"] or {}).get("aggregate", 0) + (rate["non_commodity"] or {}).get(
            "fixed", 0
        )
        assert abs(shown - rate["total"]) < 3e-5  # each part rounded to 5 decimals
        if following is not None:
            assert following["valid_from"] == row["valid_to"]
    assert boundaries <= {d["valid_from"] for d in audited}
