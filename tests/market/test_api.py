"""/market_sources: auth, public data for every caller, pagination and filters, retrieve, and
the published prices over a window (offsets, DST, merging, gaps)."""

from datetime import UTC, datetime, timedelta

import pytest

from tariffconnect.market import sources
from tests.helpers import assert_error
from tests.market.stored import publish


def source(slug):
    return sources.find(slug)


# Each test writes its own source and window of 2031, a year no other test uses; the test
# database is shared, so nothing else may write these (source, window) pairs.
DE = source("de-lu")  # the DST days
PL = source("pl")  # merging, clipping, gaps
SE3 = source("se3")  # every caller sees the same
NO4 = source("no4")  # retrieve: its latest interval
IT_CALA = source("it-cala")  # never written: no interval
ALL = sorted((s.id for s in sources.all_sources()), reverse=True)
GB = sorted((s.id for s in sources.all_sources() if s.country_code == "GB"), reverse=True)
UNKNOWN = "mrs_" + "0" * 24


def market_prices(client, headers, source_id, start_time, end_time):
    response = client.get(
        f"/market_sources/{source_id}/prices",
        params={"start_time": start_time, "end_time": end_time},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"object", "market_source_id", "currency_code", "data"}
    assert body["object"] == "market_prices"
    return body


def series(body):
    for interval in body["data"]:
        assert interval["price"]["confidence"] == 1
    return [(d["valid_from"], d["valid_to"], d["price"]["value"]) for d in body["data"]]


def listed(client, headers, **params):
    response = client.get("/market_sources", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"object", "url", "has_more", "data"}
    assert body["object"] == "list" and body["url"] == "/market_sources"
    return body


def test_every_endpoint_needs_a_token(client):
    for path, name in [
        ("/market_sources", "market_source_list"),
        (f"/market_sources/{DE.id}", "market_source_retrieve"),
        (
            f"/market_sources/{DE.id}/prices?start_time=2031-01-01T00:00:00Z"
            "&end_time=2031-01-02T00:00:00Z",
            "market_price_list",
        ),
    ]:
        assert_error(client.get(path), 401, "authentication_required", context=f"api.{name}")
    bad = {"Authorization": "Bearer nonsense"}
    response = client.get(f"/market_sources/{DE.id}", headers=bad)
    assert_error(response, 401, "bearer_token_invalid", context="api.market_source_retrieve")


def test_every_account_and_mode_sees_the_same_data(client, database, tenant, other_tenant):
    publish(database, SE3.id, datetime(2031, 2, 1, tzinfo=UTC), ["0.5", "0.75"])
    paths = [
        "/market_sources?country_code=SE",
        f"/market_sources/{SE3.id}",
        f"/market_sources/{SE3.id}/prices?start_time=2031-02-01T00:00:00Z"
        "&end_time=2031-02-01T01:00:00Z",
    ]
    callers = (tenant.test, tenant.live, other_tenant.test, other_tenant.live)
    for path in paths:
        answers = [client.get(path, headers=headers) for headers in callers]
        assert {a.status_code for a in answers} == {200}
        assert len({a.text for a in answers}) == 1, path
    body = client.get(paths[2], headers=other_tenant.live).json()
    assert series(body) == [
        ("2031-02-01T00:00:00Z", "2031-02-01T00:15:00Z", 0.5),
        ("2031-02-01T00:15:00Z", "2031-02-01T00:30:00Z", 0.75),
    ]


def test_retrieve_answers_the_exact_object(client, database, tenant):
    publish(database, NO4.id, datetime(2031, 1, 10, 22, 30, tzinfo=UTC), ["1.1", "1.2", "1.3"])
    response = client.get(f"/market_sources/{NO4.id}", headers=tenant.test)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": NO4.id,
        "object": "market_source",
        "display_name": NO4.display_name,
        "bidding_zone": "NO4",
        "country_code": "NO",
        "region": "NO4 (Tromsø)",
        "currency_code": "NOK",
        "resolution_minutes": 15,
        "publisher": NO4.publisher,
        "feeds": ["ENTSOE"],
        "last_published_interval": {"start": "2031-01-10T23:00:00Z", "end": "2031-01-10T23:15:00Z"},
    }


def test_a_source_without_prices_has_no_last_interval(client, tenant):
    body = client.get(f"/market_sources/{IT_CALA.id}", headers=tenant.live).json()
    assert body["id"] == IT_CALA.id and body["region"] == "Calabria"
    assert body["feeds"] == ["ENTSOE"]
    assert body["last_published_interval"] is None


@pytest.mark.parametrize("source_id", [UNKNOWN, "de-lu", "mrs_XYZ", "prv_" + "0" * 24])
def test_unknown_or_malformed_ids_are_not_found(client, tenant, source_id):
    response = client.get(f"/market_sources/{source_id}", headers=tenant.test)
    assert_error(response, 404, "market_source_not_found", context="api.market_source_retrieve")
    window = {"start_time": "2031-01-01T00:00:00Z", "end_time": "2031-01-02T00:00:00Z"}
    response = client.get(f"/market_sources/{source_id}/prices", params=window, headers=tenant.test)
    assert_error(response, 404, "market_source_not_found", context="api.market_price_list")


def test_the_list_is_30_by_id_descending_then_pages_by_cursor(client, tenant):
    first = listed(client, tenant.test)
    assert len(ALL) == 41
    assert first["has_more"] is True
    assert [s["id"] for s in first["data"]] == ALL[:30]
    rest = listed(client, tenant.test, starting_after=ALL[29])
    assert rest["has_more"] is False
    assert [s["id"] for s in rest["data"]] == ALL[30:]
    back = listed(client, tenant.test, ending_before=ALL[30], limit=5)
    assert back["has_more"] is True  # newer ones remain before this page
    assert [s["id"] for s in back["data"]] == ALL[25:30]


def test_list_items_are_the_retrieved_objects(client, tenant):
    body = listed(client, tenant.test, country_code="IT", limit=100)
    calabria = next(s for s in body["data"] if s["id"] == IT_CALA.id)
    assert calabria == client.get(f"/market_sources/{IT_CALA.id}", headers=tenant.test).json()


@pytest.mark.parametrize(
    ("country_code", "expected"),
    [
        ("GB", GB),
        ("gb", GB),
        ("LU", [source("lu-de-lu").id]),
        ("US", []),  # a country, just without a market source
    ],
)
def test_the_country_filter(client, tenant, country_code, expected):
    body = listed(client, tenant.test, country_code=country_code, limit=100)
    assert [s["id"] for s in body["data"]] == expected
    assert body["has_more"] is False


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"country_code": "XX"}, "country_code_invalid"),
        ({"country_code": "GBR"}, "country_code_invalid"),
        ({"country_code": "G1"}, "country_code_invalid"),
        ({"limit": 0}, "limit_invalid"),
        ({"limit": 101}, "limit_invalid"),
        ({"starting_after": "nope"}, "starting_after_invalid"),
        ({"starting_after": ALL[3], "ending_before": ALL[1]}, "pagination_cursor_conflict"),
    ],
)
def test_invalid_list_queries(client, tenant, params, code):
    response = client.get("/market_sources", params=params, headers=tenant.test)
    assert_error(response, 400, code, context="api.market_source_list")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"end_time": "2031-01-02T00:00:00Z"}, "start_time_missing"),
        ({"start_time": "2031-01-01T00:00:00Z"}, "end_time_missing"),
        ({"start_time": "2031-01-01T00:00:00", "end_time": "2031-01-02T00:00:00Z"},
         "start_time_invalid"),
        ({"start_time": "2031-01-01T00:00:00Z", "end_time": "tomorrow"}, "end_time_invalid"),
        ({"start_time": "2031-01-02T00:00:00Z", "end_time": "2031-01-01T00:00:00Z"},
         "time_window_invalid"),
        ({"start_time": "2031-01-01T00:00:00Z", "end_time": "2031-01-01T01:00:00+01:00"},
         "time_window_invalid"),  # the same instant
        ({"start_time": "2031-01-01T00:00:00Z", "end_time": "2031-04-01T00:00:01Z"},
         "time_window_too_long"),
        ({"start_time": "1969-12-31T00:00:00Z", "end_time": "1970-01-01T00:00:00Z"},
         "time_window_invalid"),
        ({"start_time": "9999-12-30T00:00:00+14:00", "end_time": "9999-12-31T00:00:00+14:00"},
         "time_window_invalid"),
    ],
)  # fmt: skip
def test_invalid_price_windows(client, tenant, params, code):
    response = client.get(f"/market_sources/{DE.id}/prices", params=params, headers=tenant.test)
    assert_error(response, 400, code, context="api.market_price_list")


def test_prices_are_clipped_merged_and_keep_their_gaps(client, database, tenant):
    start = datetime(2031, 5, 5, 10, tzinfo=UTC)
    publish(database, PL.id, start, ["0.1", "0.1", "0.25", "-0.01234", "0.12345", "0.12345"])
    # A gap of one interval (11:30-11:45), then the same price as before it: not merged.
    publish(database, PL.id, start + timedelta(minutes=105), ["0.12345", "0.3"])
    body = market_prices(client, tenant.test, PL.id, "2031-05-05T10:05:00Z", "2031-05-05T12:00:00Z")
    assert body["market_source_id"] == PL.id and body["currency_code"] == "PLN"
    assert series(body) == [
        ("2031-05-05T10:05:00Z", "2031-05-05T10:30:00Z", 0.1),
        ("2031-05-05T10:30:00Z", "2031-05-05T10:45:00Z", 0.25),
        ("2031-05-05T10:45:00Z", "2031-05-05T11:00:00Z", -0.01234),
        ("2031-05-05T11:00:00Z", "2031-05-05T11:30:00Z", 0.12345),
        ("2031-05-05T11:45:00Z", "2031-05-05T12:00:00Z", 0.12345),
    ]
    inside = market_prices(
        client, tenant.test, PL.id, "2031-05-05T10:20:00Z", "2031-05-05T10:25:00Z"
    )
    assert series(inside) == [("2031-05-05T10:20:00Z", "2031-05-05T10:25:00Z", 0.1)]


def test_a_window_without_prices_is_an_empty_series(client, tenant):
    body = market_prices(
        client, tenant.test, IT_CALA.id, "2031-11-01T00:00:00+01:00", "2031-11-02T00:00:00+01:00"
    )
    assert body == {
        "object": "market_prices",
        "market_source_id": IT_CALA.id,
        "currency_code": "EUR",
        "data": [],
    }


def test_intervals_go_out_in_the_request_offset(client, database, tenant):
    publish(database, DE.id, datetime(2031, 7, 1, 6, tzinfo=UTC), ["0.2", "0.2", "0.4", "0.4"])
    expected = [
        ("2031-07-01T11:30:00+05:30", "2031-07-01T12:00:00+05:30", 0.2),
        ("2031-07-01T12:00:00+05:30", "2031-07-01T12:30:00+05:30", 0.4),
    ]
    window = ("2031-07-01T11:30:00+05:30", "2031-07-01T12:30:00+05:30")
    assert series(market_prices(client, tenant.test, DE.id, *window)) == expected
    # As POST /prices: when the two offsets differ, end_time's wins.
    mixed = market_prices(client, tenant.test, DE.id, "2031-07-01T06:00:00Z", window[1])
    assert series(mixed) == expected
    in_utc = market_prices(client, tenant.test, DE.id, window[0], "2031-07-01T07:00:00+00:00")
    assert series(in_utc)[0][:2] == ("2031-07-01T06:00:00Z", "2031-07-01T06:30:00Z")


def test_an_unencoded_plus_in_the_query_is_read_as_the_offset(client, database, tenant):
    publish(database, DE.id, datetime(2031, 8, 1, 22, tzinfo=UTC), ["0.3"])
    # httpx sends `+` as is; form decoding turns it into a space, which the API reads back.
    path = (
        f"/market_sources/{DE.id}/prices"
        "?start_time=2031-08-02T00:00:00+02:00&end_time=2031-08-02T00:15:00+02:00"
    )
    response = client.get(path, headers=tenant.test)
    assert response.status_code == 200, response.text
    assert series(response.json()) == [
        ("2031-08-02T00:00:00+02:00", "2031-08-02T00:15:00+02:00", 0.3)
    ]


def test_the_spring_dst_day_in_berlin_has_23_hours(client, database, tenant):
    # 2031-03-30 local: 00:00+01:00 (23:00Z the day before) to 24:00+02:00 (22:00Z), 92
    # quarter-hours; one price per UTC hour, so each hour is one merged interval.
    start = datetime(2031, 3, 29, 23, tzinfo=UTC)
    publish(database, DE.id, start, [f"0.{10 + hour // 4:02d}" for hour in range(92)])
    body = market_prices(
        client, tenant.test, DE.id, "2031-03-30T00:00:00+01:00", "2031-03-31T00:00:00+02:00"
    )
    data = series(body)
    assert len(data) == 23
    # Written in end_time's offset, +02:00, for the whole day, as POST /prices does.
    assert data[0] == ("2031-03-30T01:00:00+02:00", "2031-03-30T02:00:00+02:00", 0.1)
    assert data[1] == ("2031-03-30T02:00:00+02:00", "2031-03-30T03:00:00+02:00", 0.11)
    assert data[-1] == ("2031-03-30T23:00:00+02:00", "2031-03-31T00:00:00+02:00", 0.32)
    assert [d[2] for d in data] == [round(0.1 + hour / 100, 2) for hour in range(23)]
    in_winter_offset = market_prices(
        client, tenant.test, DE.id, "2031-03-30T00:00:00+01:00", "2031-03-30T23:00:00+01:00"
    )
    assert series(in_winter_offset)[0][:2] == (
        "2031-03-30T00:00:00+01:00",
        "2031-03-30T01:00:00+01:00",
    )
    assert series(in_winter_offset)[-1][:2] == (
        "2031-03-30T22:00:00+01:00",
        "2031-03-30T23:00:00+01:00",
    )


def test_a_window_of_exactly_90_days_is_allowed(client, tenant):
    body = market_prices(
        client, tenant.test, IT_CALA.id, "2031-09-01T00:00:00Z", "2031-11-30T00:00:00Z"
    )
    assert body["data"] == []
