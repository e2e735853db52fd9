"""The Octopus client against a real fixture server shaped as the developer docs show:
typed answers, pagination through `next`, retries, the error types, shapes checked before any
call, the address rules, and the API key kept out of logs, messages and reprs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tariffconnect.integrations.octopus.client import MAX_WAIT_SECONDS, RETRIES, OctopusClient
from tariffconnect.integrations.octopus.codes import CodeInvalid
from tariffconnect.integrations.octopus.errors import (
    OctopusAddressRefused,
    OctopusAnswerInvalid,
    OctopusError,
    OctopusKeyRejected,
    OctopusNotFound,
    OctopusUnavailable,
)
from tariffconnect.webhooks.urls import parse_allowed_networks
from tests.integrations.octopus.fixture_server import (
    API_KEY,
    OctopusData,
    account,
    account_property,
    agreement,
    change_agreements,
    fail_with_429,
    fail_with_503,
    meter_point,
    octopus_api,
    product_detail,
    product_row,
    rate_row,
    regional_tariff,
)
from tests.market.feeds.fixture_server import FixtureServer

LOOPBACK = parse_allowed_networks("127.0.0.0/8,::1/128")
NUMBER = "A-1234ABCD"
AGILE = "E-1R-AGILE-24-10-01-C"
E7 = "E-2R-VAR-22-11-01-C"
OUTGOING = "E-1R-OUTGOING-VAR-24-10-26-C"
HALF_HOURS = 3100


def fixture_data() -> OctopusData:
    data = OctopusData()
    data.accounts[NUMBER] = account(
        NUMBER,
        [
            account_property(
                1234567,
                "SW1A 2AA",
                [
                    meter_point(
                        "1000000000001",
                        [
                            agreement(E7, "2023-04-01T00:00:00+01:00", "2024-12-17T00:00:00Z"),
                            agreement(AGILE, "2024-12-17T00:00:00Z"),
                        ],
                    ),
                    meter_point(
                        "1000000000002",
                        [agreement(OUTGOING, "2024-12-17T00:00:00Z", "2026-12-17T00:00:00Z")],
                        is_export=True,
                    ),
                ],
            ),
            account_property(
                7654321,
                "EH1 1AA",
                [
                    meter_point(
                        "1000000000003", [agreement(E7, "2021-01-01T00:00:00Z")], registers=2
                    )
                ],
                line_1="1 Royal Mile",
            ),
        ],
    )
    rows = [
        product_row("AGILE-24-10-01", display_name="Agile Octopus", is_green=True),
        product_row("VAR-22-11-01", display_name="Flexible Octopus"),
        product_row("GO-VAR-22-10-14", display_name="Octopus Go"),
        product_row(
            "BUS-12M-FIXED-24-01-01",
            display_name="Business Fixed",
            is_business=True,
            is_variable=False,
        ),
        product_row("OUTGOING-VAR-24-10-26", display_name="Outgoing Octopus", direction="EXPORT"),
    ]
    data.products = rows
    data.details["VAR-22-11-01"] = product_detail(
        rows[1],
        single={"C": regional_tariff("E-1R-VAR-22-11-01-C", 61.64, standard_unit_rate=24.86)},
        dual={"C": regional_tariff(E7, 61.64, day_unit_rate=28.63, night_unit_rate=13.05)},
    )
    data.details["AGILE-24-10-01"] = product_detail(rows[0])
    start = datetime(2026, 12, 1, tzinfo=UTC)
    # HALF_HOURS slots from `start`, newest first as the API answers: three pages of 1500.
    data.rates[(AGILE, "standard-unit-rates")] = [
        rate_row(
            float(10 + j % 48 / 4),  # by the slot's place in the day
            _z(start + timedelta(minutes=30 * j)),
            _z(start + timedelta(minutes=30 * (j + 1))),
        )
        for j in range(HALF_HOURS - 1, -1, -1)
    ]
    data.rates[(E7, "standing-charges")] = [
        rate_row(61.64, "2026-04-01T00:00:00Z", None, payment_method="DIRECT_DEBIT"),
        rate_row(
            60.12, "2025-04-01T00:00:00Z", "2026-04-01T00:00:00Z", payment_method="DIRECT_DEBIT"
        ),
    ]
    return data


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def api() -> Iterator[tuple[FixtureServer, OctopusData]]:
    data = fixture_data()
    with octopus_api(data) as (server, _):
        yield server, data


class Sleeps(list[float]):
    """The waits the client asked for, instead of waiting them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(
    server: FixtureServer, *, key: str | None = API_KEY, **options: object
) -> OctopusClient:
    return OctopusClient(
        base_url=str(options.pop("base_url", server.url)),
        timeout=float(options.pop("timeout", 5.0)),  # type: ignore[arg-type]
        live_mode=bool(options.pop("live_mode", False)),
        api_key=key,
        allow=options.pop("allow", LOOPBACK),  # type: ignore[arg-type]
        sleep=options.pop("sleep", Sleeps()),  # type: ignore[arg-type]
    )


def test_account_is_typed_with_export_and_day_night_meters(
    api: tuple[FixtureServer, OctopusData],
) -> None:
    server, _ = api
    with client_for(server) as client:
        found = client.account(NUMBER)
    assert found.number == NUMBER
    assert [p.postcode for p in found.properties] == ["SW1A 2AA", "EH1 1AA"]
    home, flat = found.properties
    import_point, export_point = home.electricity_meter_points
    assert (import_point.mpan, import_point.is_export) == ("1000000000001", False)
    assert (export_point.mpan, export_point.is_export) == ("1000000000002", True)
    assert [a.tariff_code for a in import_point.agreements] == [E7, AGILE]
    first, current = import_point.agreements
    assert first.valid_from == datetime(2023, 4, 1, tzinfo=timezone(timedelta(hours=1)))
    assert first.valid_to == datetime(2024, 12, 17, tzinfo=UTC)
    assert current.valid_to is None
    e7_meter = flat.electricity_meter_points[0].meters[0]
    assert [(r.identifier, r.rate) for r in e7_meter.registers] == [("1", "DAY"), ("2", "NIGHT")]
    assert flat.address_line_1 == "1 Royal Mile"
    # HTTP Basic: the key as user name, an empty password.
    assert (
        server.asked[-1].headers["authorization"]
        == "Basic c2tfbGl2ZV9UZXN0S2V5MDEyMzQ1Njc4OWFiY2RlZjo="
    )


def test_a_changed_agreement_is_read_by_the_next_call(
    api: tuple[FixtureServer, OctopusData],
) -> None:
    server, data = api
    with client_for(server) as client:
        before = client.account(NUMBER).properties[0].electricity_meter_points[0].agreements
        go = "E-1R-GO-VAR-22-10-14-C"
        change_agreements(data, NUMBER, "1000000000001", [agreement(go, "2026-12-01T00:00:00Z")])
        after = client.account(NUMBER).properties[0].electricity_meter_points[0].agreements
    assert [a.tariff_code for a in before] == [E7, AGILE]
    assert [a.tariff_code for a in after] == [go]


def test_products_follow_next_through_every_page_with_filters(
    api: tuple[FixtureServer, OctopusData],
) -> None:
    server, _ = api
    with client_for(server, key=None) as client:
        every = client.products()
        domestic = client.products(is_business=False)
    assert [p.code for p in every] == [
        "AGILE-24-10-01",
        "VAR-22-11-01",
        "GO-VAR-22-10-14",
        "BUS-12M-FIXED-24-01-01",
        "OUTGOING-VAR-24-10-26",
    ]
    assert [p.code for p in domestic] == [
        "AGILE-24-10-01",
        "VAR-22-11-01",
        "GO-VAR-22-10-14",
        "OUTGOING-VAR-24-10-26",
    ]
    agile = every[0]
    assert (agile.is_green, agile.is_business, agile.direction, agile.brand) == (
        True,
        False,
        "IMPORT",
        "OCTOPUS_ENERGY",
    )
    assert agile.available_from == datetime(2024, 9, 30, 23, tzinfo=UTC)
    assert agile.available_to is None
    pages = [a.query.get("page") for a in server.asked if a.path == "/v1/products/"]
    assert pages == [None, "2", "3", None, "2"]  # 5 rows, then 4, at 2 a page
    assert "authorization" not in server.asked[0].headers  # public: no key sent without one


def test_product_detail_has_regional_tariffs_in_decimal_pence(
    api: tuple[FixtureServer, OctopusData],
) -> None:
    server, _ = api
    with client_for(server, key=None) as client:
        detail = client.product("VAR-22-11-01")
    single = detail.single_register_electricity_tariffs["C"]["direct_debit_monthly"]
    dual = detail.dual_register_electricity_tariffs["C"]["direct_debit_monthly"]
    assert (single.code, single.standard_unit_rate_inc_vat, single.standing_charge_inc_vat) == (
        "E-1R-VAR-22-11-01-C",
        Decimal("24.86"),
        Decimal("61.64"),
    )
    assert single.standard_unit_rate_exc_vat == Decimal("23.6762")
    assert single.day_unit_rate_inc_vat is None
    assert (dual.code, dual.day_unit_rate_inc_vat, dual.night_unit_rate_inc_vat) == (
        E7,
        Decimal("28.63"),
        Decimal("13.05"),
    )
    assert detail.product.display_name == "Flexible Octopus"
    assert detail.tariffs_active_at == datetime(2026, 12, 1, tzinfo=UTC)


def test_unit_rates_are_paginated_newest_first_within_the_period(
    api: tuple[FixtureServer, OctopusData],
) -> None:
    server, _ = api
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with client_for(server, key=None) as client:
        every = client.rates(AGILE, "standard-unit-rates")
        day = client.rates(
            AGILE, "standard-unit-rates", period_from=start, period_to=start + timedelta(days=1)
        )
    assert len(every) == HALF_HOURS
    assert every[0].valid_from == start + timedelta(minutes=30 * (HALF_HOURS - 1))
    assert every[-1].valid_from == start and every[-1].value_inc_vat == Decimal("10.0")
    assert every[-2].value_inc_vat == Decimal("10.25")
    assert every[-2].value_exc_vat == Decimal("9.7619")
    assert [r.valid_from for r in day] == [
        start + timedelta(minutes=30 * i) for i in range(47, -1, -1)
    ]
    asked = [a for a in server.asked if a.path.endswith("/standard-unit-rates/")]
    tariff_path = f"/v1/products/AGILE-24-10-01/electricity-tariffs/{AGILE}/standard-unit-rates/"
    assert asked[0].path == tariff_path
    assert [a.query.get("page") for a in asked] == [None, "2", "3", None]
    assert {a.query["page_size"] for a in asked} == {"1500"}
    assert asked[-1].query["period_from"] == "2026-12-01T00:00:00Z"
    assert asked[-1].query["period_to"] == "2026-12-02T00:00:00Z"


def test_standing_charges_keep_open_ended_rows(api: tuple[FixtureServer, OctopusData]) -> None:
    server, _ = api
    with client_for(server, key=None) as client:
        charges = client.rates(E7, "standing-charges")
    assert [(c.value_inc_vat, c.valid_to, c.payment_method) for c in charges] == [
        (Decimal("61.64"), None, "DIRECT_DEBIT"),
        (Decimal("60.12"), datetime(2026, 4, 1, tzinfo=UTC), "DIRECT_DEBIT"),
    ]


def test_a_next_loop_is_an_error(api: tuple[FixtureServer, OctopusData]) -> None:
    server, data = api
    data.looping_next = True
    with client_for(server, key=None) as client, pytest.raises(OctopusAnswerInvalid) as caught:
        client.products()
    assert str(caught.value) == "the next page of /v1/products/ loops back"
    assert len(server.asked) == 2


def test_a_next_off_the_api_is_refused(api: tuple[FixtureServer, OctopusData]) -> None:
    _, data = api
    with octopus_api(data) as (other, handler):
        handler.base = "http://127.0.0.1:9"  # its `next` links leave the API
        with client_for(other, key=None) as client, pytest.raises(OctopusAnswerInvalid) as caught:
            client.products()
    assert str(caught.value) == "the next page of /v1/products/ is not on the Octopus API"


def test_429_honours_retry_after_then_succeeds(api: tuple[FixtureServer, OctopusData]) -> None:
    server, data = api
    fail_with_429(data, times=2, retry_after="7")
    sleeps = Sleeps()
    with client_for(server, sleep=sleeps) as client:
        found = client.account(NUMBER)
    assert found.number == NUMBER
    assert sleeps == [7.0, 7.0]
    assert len(server.asked) == 3


@pytest.mark.parametrize(
    ("retry_afters", "message", "waited"),
    [
        # Longer than the cap on its own: not waited at all.
        (["3600"], "Octopus asks to wait 3600 s (429)", []),
        # 20 s is waited once; the next 20 would pass the 30 s cap, so the request fails
        # there instead of sleeping a minute.
        (["20", "20", "20"], "Octopus asks to wait 20 s (429)", [20.0]),
        # The cap counts every wait of the request: 15 + 15 is exactly it, 1 more is past it.
        (["15", "15", "1"], "Octopus asks to wait 1 s (429)", [15.0, 15.0]),
    ],
)
def test_the_waits_of_one_request_are_capped(
    api: tuple[FixtureServer, OctopusData],
    retry_afters: list[str],
    message: str,
    waited: list[float],
) -> None:
    server, data = api
    for value in retry_afters:
        fail_with_429(data, times=1, retry_after=value)
    sleeps = Sleeps()
    with client_for(server, sleep=sleeps) as client, pytest.raises(OctopusUnavailable) as caught:
        client.account(NUMBER)
    assert str(caught.value) == message
    assert sleeps == waited and len(server.asked) == len(waited) + 1
    assert sum(waited) <= MAX_WAIT_SECONDS == 30.0


def test_a_retry_after_does_not_feed_the_backoff(api: tuple[FixtureServer, OctopusData]) -> None:
    """The backoff doubles from 0.5 s whatever a 429 asked: the 503s after a Retry-After of
    10 s wait 1 and 2 s, not 20 and 40."""
    server, data = api
    fail_with_429(data, times=1, retry_after="10")
    fail_with_503(data, times=2)
    sleeps = Sleeps()
    with client_for(server, sleep=sleeps) as client:
        found = client.account(NUMBER)
    assert found.number == NUMBER
    assert sleeps == [10.0, 1.0, 2.0] and len(server.asked) == 4


def test_503_is_retried_with_backoff_then_succeeds(api: tuple[FixtureServer, OctopusData]) -> None:
    server, data = api
    fail_with_503(data, times=RETRIES)
    sleeps = Sleeps()
    with client_for(server, key=None, sleep=sleeps) as client:
        detail = client.product("VAR-22-11-01")
    assert detail.product.code == "VAR-22-11-01"
    assert sleeps == [0.5, 1.0, 2.0]


def test_503_after_every_try_is_unavailable(api: tuple[FixtureServer, OctopusData]) -> None:
    server, data = api
    fail_with_503(data, times=RETRIES + 1)
    sleeps = Sleeps()
    with client_for(server, sleep=sleeps) as client, pytest.raises(OctopusUnavailable) as caught:
        client.account(NUMBER)
    assert str(caught.value) == "Octopus answered HTTP 503, 4 tries"
    assert caught.value.code == "octopus_unavailable"
    assert len(server.asked) == RETRIES + 1 and sleeps == [0.5, 1.0, 2.0]


def test_a_closed_port_is_unavailable_after_retries() -> None:
    sleeps = Sleeps()
    client = OctopusClient(
        base_url="http://127.0.0.1:9", timeout=2.0, live_mode=False, allow=LOOPBACK, sleep=sleeps
    )
    with client, pytest.raises(OctopusUnavailable) as caught:
        client.products()
    assert str(caught.value) == "Octopus could not be reached, 4 tries"
    assert sleeps == [0.5, 1.0, 2.0]


def test_a_wrong_key_is_401_key_rejected(api: tuple[FixtureServer, OctopusData]) -> None:
    server, _ = api
    other = "sk_live_WrongKey0123456789abcdef"
    with client_for(server, key=other) as client, pytest.raises(OctopusKeyRejected) as caught:
        client.account(NUMBER)
    assert caught.value.code == "octopus_key_rejected"
    assert str(caught.value) == "Octopus refused the API key (wrong, or replaced on the dashboard)"
    assert len(server.asked) == 1  # a 401 is final: not retried


def test_an_unknown_account_is_404_not_found(api: tuple[FixtureServer, OctopusData]) -> None:
    server, _ = api
    with client_for(server) as client, pytest.raises(OctopusNotFound) as caught:
        client.account("A-0000FFFF")
    assert str(caught.value) == "Octopus has no account A-0000FFFF for this key"
    assert caught.value.code == "octopus_not_found"
    with client_for(server, key=None) as client, pytest.raises(OctopusNotFound) as product:
        client.product("NO-SUCH-PRODUCT")
    assert str(product.value) == "Octopus has no product NO-SUCH-PRODUCT"


@pytest.mark.parametrize(
    ("number", "key", "code"),
    [
        ("A-1234abcd", API_KEY, "octopus_account_number_invalid"),  # lower case: not as printed
        ("A-1234ABC", API_KEY, "octopus_account_number_invalid"),
        ("1234ABCD", API_KEY, "octopus_account_number_invalid"),
        ("A-1234ABCG", API_KEY, "octopus_account_number_invalid"),
        ("A-1234ABCD/../x", API_KEY, "octopus_account_number_invalid"),
        (NUMBER, "sk_test_TestKey0123456789abcdef", "octopus_api_key_invalid"),
        (NUMBER, "sk_live_short", "octopus_api_key_invalid"),
        (NUMBER, "sk_live_TestKey0123456789abcdef ", "octopus_api_key_invalid"),
        (NUMBER, "", "octopus_api_key_invalid"),
    ],
)
def test_shapes_are_checked_before_any_call(
    api: tuple[FixtureServer, OctopusData], number: str, key: str, code: str
) -> None:
    server, _ = api
    with pytest.raises(CodeInvalid) as caught, client_for(server, key=key) as client:
        client.account(number)
    assert caught.value.code == code
    assert key not in str(caught.value) or not key
    assert server.asked == []


@pytest.mark.parametrize(
    ("tariff", "code"),
    [
        ("E-3R-AGILE-24-10-01-C", "octopus_tariff_code_invalid"),
        ("E-1R-AGILE-24-10-01-I", "octopus_tariff_code_invalid"),
        ("E-1R-agile-24-10-01-C", "octopus_tariff_code_invalid"),
        ("E-1R-A/../B-C", "octopus_tariff_code_invalid"),
    ],
)
def test_tariff_codes_are_checked_before_any_call(
    api: tuple[FixtureServer, OctopusData], tariff: str, code: str
) -> None:
    server, _ = api
    with client_for(server, key=None) as client, pytest.raises(CodeInvalid) as caught:
        client.rates(tariff, "standard-unit-rates")
    assert caught.value.code == code
    assert server.asked == []


def test_plain_http_is_refused_in_live_mode(api: tuple[FixtureServer, OctopusData]) -> None:
    server, _ = api
    with pytest.raises(OctopusAddressRefused) as caught:
        client_for(server, live_mode=True)
    assert str(caught.value) == "the Octopus API must be reached over https in live mode"
    assert server.asked == []


def test_a_private_address_needs_the_operators_leave(
    api: tuple[FixtureServer, OctopusData],
) -> None:
    server, _ = api
    with client_for(server, allow=()) as client, pytest.raises(OctopusAddressRefused) as caught:
        client.products()
    assert (
        str(caught.value)
        == "the Octopus API URL is on a private network the operator did not allow"
    )
    assert server.asked == []


def test_an_answer_missing_a_field_is_invalid(api: tuple[FixtureServer, OctopusData]) -> None:
    server, data = api
    del data.accounts[NUMBER]["properties"][0]["electricity_meter_points"][0]["is_export"]
    with client_for(server) as client, pytest.raises(OctopusAnswerInvalid) as caught:
        client.account(NUMBER)
    assert str(caught.value) == "the Octopus answer's meter point has no true/false is_export"


def test_the_key_is_never_in_logs_errors_or_reprs(
    api: tuple[FixtureServer, OctopusData], caplog: pytest.LogCaptureFixture
) -> None:
    server, data = api
    wrong = "sk_live_WrongKey0123456789abcdef"
    caplog.set_level(logging.DEBUG)
    fail_with_503(data, times=1)
    messages: list[str] = []
    for key, number in ((API_KEY, "A-0000FFFF"), (wrong, NUMBER)):
        with client_for(server, key=key) as client:
            messages.append(repr(client))
            with pytest.raises(OctopusError) as caught:
                client.account(number)
            messages += [str(caught.value), repr(caught.value), repr(caught.value.__cause__)]
            assert caught.value.__cause__ is None and caught.value.__context__ is None
    with pytest.raises(CodeInvalid) as shape:
        client_for(server, key="sk_live_TestKey0123456789abcdef!")
    messages += [str(shape.value), repr(shape.value)]
    text = "\n".join(messages + [r.getMessage() for r in caplog.records] + [caplog.text])
    assert "octopus GET /v1/accounts/A-0000FFFF/ -> 503" in caplog.text  # logging did happen
    for secret in (API_KEY, wrong, "TestKey0123456789", "WrongKey0123456789"):
        assert secret not in text
    assert messages[0] == f"OctopusClient('{server.url}/', key=set)"
