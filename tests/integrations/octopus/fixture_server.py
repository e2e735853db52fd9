"""A real HTTP server on 127.0.0.1 standing in for the Octopus Energy REST API, answering from
data the test controls, in the shapes the developer docs show (developer.octopus.energy, "REST
API"; the account example of the API endpoints guide):

- `GET /v1/accounts/{number}/`: needs HTTP Basic with the API key as user name; a wrong key is
  401 `{"detail": "Invalid API key."}`, none is 401 `{"detail": "Authentication credentials
  were not provided."}`, an unknown account (or another key's) is 404 `{"detail": "Not found."}`;
- `GET /v1/products/`: public, paginated (`count`, `next` as an absolute URL, `previous`,
  `results`), PRODUCTS_PAGE_SIZE rows a page, filtered by the `is_*` flags and `brand`;
- `GET /v1/products/{code}/`: the product with `single_register_electricity_tariffs`,
  `dual_register_electricity_tariffs` (and, for smart EV products,
  `four_rate_ev_electricity_tariffs`) by GSP group `_A` … `_P` and payment method; with
  `tariffs_active_at`, the tariffs in force then (a product given in `details_from`);
- `GET /v1/products/{p}/electricity-tariffs/{t}/{standard-unit-rates,day-unit-rates,
  night-unit-rates,standing-charges}/`: newest first, `period_from` / `period_to` kept to the
  rows overlapping them, `page_size` (default 100, at most 1500), paginated through `next`.

Times go out as the API writes them (`Z`, or `+01:00` where a test says so); numbers as JSON
numbers. A test can make the next N answers 429 (with Retry-After) or 503, make a list's `next`
loop, or change an account's agreements between calls. The server records every request
(`server.asked`), so a test can prove that none was made.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.market.feeds.fixture_server import Answer, Asked, FixtureServer, serving

Json = dict[str, Any]
API_KEY = "sk_live_TestKey0123456789abcdef"  # the shape Octopus issues: sk_live_ + 24
PRODUCTS_PAGE_SIZE = 2  # small, so a handful of products already spans pages
RATES_PAGE_SIZE = 100  # the API's default page size
MAX_PAGE_SIZE = 1500
RATE_KINDS = ("standard-unit-rates", "day-unit-rates", "night-unit-rates", "standing-charges")
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
BAD_KEY = {"detail": "Invalid API key."}
NOT_FOUND = {"detail": "Not found."}


@dataclass
class OctopusData:
    """What the fixture API knows; tests fill and change it between calls."""

    api_key: str = API_KEY
    accounts: dict[str, Json] = field(default_factory=dict)
    products: list[Json] = field(default_factory=list)
    details: dict[str, Json] = field(default_factory=dict)
    # A product whose tariffs change: (ISO "…Z" moment, detail from then on), oldest first;
    # answered for `tariffs_active_at`, or the newest without it (the API's "now").
    details_from: dict[str, list[tuple[str, Json]]] = field(default_factory=dict)
    rates: dict[tuple[str, str], list[Json]] = field(default_factory=dict)  # newest first
    failures: list[Answer] = field(default_factory=list)  # answered first, one per request
    looping_next: bool = False  # every list's `next` points back at its first page


class OctopusApi:
    """The request handler over an OctopusData."""

    def __init__(self, data: OctopusData) -> None:
        self.data = data
        self.base = ""  # set once the server has its port, for absolute `next` links
        self._lock = threading.Lock()

    def __call__(self, asked: Asked) -> Answer:
        with self._lock:
            if self.data.failures:
                return self.data.failures.pop(0)
        auth = self._auth(asked)
        if auth is not None and auth != "ok":
            return _json(401, BAD_KEY)
        parts = [p for p in asked.path.split("/") if p]
        if not asked.path.endswith("/") or parts[:1] != ["v1"]:
            return _json(404, NOT_FOUND)
        if len(parts) == 3 and parts[1] == "accounts":
            if auth is None:
                return _json(401, NO_CREDENTIALS)
            found = self.data.accounts.get(parts[2])
            return _json(200, found) if found is not None else _json(404, NOT_FOUND)
        if parts == ["v1", "products"]:
            return self._page(asked, self._products(asked.query), PRODUCTS_PAGE_SIZE)
        if len(parts) == 3 and parts[1] == "products":
            found = self._detail(parts[2], asked.query.get("tariffs_active_at"))
            return _json(200, found) if found is not None else _json(404, NOT_FOUND)
        if len(parts) == 6 and parts[1] == "products" and parts[3] == "electricity-tariffs":
            rows = self.data.rates.get((parts[4], parts[5]))
            known = parts[2] in self.data.details or parts[2] in self.data.details_from
            if parts[5] not in RATE_KINDS or not known or rows is None:
                return _json(404, NOT_FOUND)
            size = min(int(asked.query.get("page_size", RATES_PAGE_SIZE)), MAX_PAGE_SIZE)
            return self._page(asked, _in_period(rows, asked.query), size)
        return _json(404, NOT_FOUND)

    def _auth(self, asked: Asked) -> str | None:
        """None without credentials, "ok" for the key, "bad" for anything else."""
        header = asked.headers.get("authorization")
        if header is None:
            return None
        scheme, _, encoded = header.partition(" ")
        try:
            user, _, _password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return "bad"
        return "ok" if scheme == "Basic" and user == self.data.api_key else "bad"

    def _detail(self, code: str, active_at: str | None) -> Json | None:
        versions = self.data.details_from.get(code)
        if versions is None:
            return self.data.details.get(code)
        in_force = [d for since, d in versions if active_at is None or since <= active_at]
        if not in_force:
            return None
        return {**in_force[-1], "tariffs_active_at": active_at or versions[-1][0]}

    def _products(self, query: dict[str, str]) -> list[Json]:
        rows = self.data.products
        for flag in ("is_variable", "is_green", "is_tracker", "is_prepay", "is_business"):
            if flag in query:
                wanted = query[flag] == "true"
                rows = [r for r in rows if r[flag] is wanted]
        if "brand" in query:
            rows = [r for r in rows if r["brand"] == query["brand"]]
        return rows

    def _page(self, asked: Asked, rows: list[Json], size: int) -> Answer:
        page = int(asked.query.get("page", "1"))
        chunk = rows[(page - 1) * size : page * size]
        more = page * size < len(rows)
        query = {k: v for k, v in asked.query.items() if k != "page"}
        next_page = 1 if self.data.looping_next else page + 1
        return _json(
            200,
            {
                "count": len(rows),
                "next": self._link(asked.path, query, next_page) if more else None,
                "previous": self._link(asked.path, query, page - 1) if page > 1 else None,
                "results": chunk,
            },
        )

    def _link(self, path: str, query: dict[str, str], page: int) -> str:
        return f"{self.base}{path}?{urlencode({**query, 'page': str(page)})}"


def _in_period(rows: list[Json], query: dict[str, str]) -> list[Json]:
    """The rows overlapping [period_from, period_to), as the API filters them. ISO times of one
    form ("…Z") compare as text; the rows a test writes use the same form."""
    start, end = query.get("period_from"), query.get("period_to")
    return [
        row
        for row in rows
        if (end is None or row["valid_from"] < end)
        and (start is None or row["valid_to"] is None or row["valid_to"] > start)
    ]


def _json(status: int, body: Any) -> Answer:
    return Answer(status=status, body=json.dumps(body).encode())


@contextmanager
def octopus_api(data: OctopusData) -> Iterator[tuple[FixtureServer, OctopusApi]]:
    """Serve `data` as the Octopus API on a free loopback port for the block's duration."""
    api = OctopusApi(data)
    with serving(api) as server:
        api.base = server.url
        yield server, api


# --- fault modes ----------------------------------------------------------------------------


def fail_with_429(data: OctopusData, *, times: int, retry_after: str = "2") -> None:
    """The next `times` requests are 429 Too Many Requests with a Retry-After."""
    body = json.dumps({"detail": "Request was throttled."}).encode()
    answer = Answer(status=429, body=body, headers={"Retry-After": retry_after})
    data.failures.extend([answer] * times)


def fail_with_503(data: OctopusData, *, times: int) -> None:
    """The next `times` requests are 503 Service Unavailable (an HTML page, as a proxy sends)."""
    body = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
    answer = Answer(status=503, body=body, content_type="text/html")
    data.failures.extend([answer] * times)


def change_agreements(data: OctopusData, number: str, mpan: str, agreements: list[Json]) -> None:
    """Replace a meter point's agreements (a tariff change, seen by the next read)."""
    for prop in data.accounts[number]["properties"]:
        for point in prop["electricity_meter_points"]:
            if point["mpan"] == mpan:
                point["agreements"] = agreements
                return
    raise KeyError(mpan)


# --- builders, shaped as the docs show ----------------------------------------------------


def agreement(tariff_code: str, valid_from: str, valid_to: str | None = None) -> Json:
    return {"tariff_code": tariff_code, "valid_from": valid_from, "valid_to": valid_to}


def meter_point(
    mpan: str, agreements: list[Json], *, is_export: bool = False, registers: int = 1
) -> Json:
    """An electricity meter point; `registers=2` is a day/night (Economy 7) meter."""
    rates = ["STANDARD"] if registers == 1 else ["DAY", "NIGHT"]
    return {
        "mpan": mpan,
        "profile_class": 2 if registers == 2 else 1,
        "consumption_standard": 2560,
        "meters": [
            {
                "serial_number": f"21L{mpan[-7:]}",
                "registers": [
                    {"identifier": str(i + 1), "rate": rate, "is_settlement_register": True}
                    for i, rate in enumerate(rates)
                ],
            }
        ],
        "agreements": agreements,
        "is_export": is_export,
    }


def account_property(
    property_id: int, postcode: str, points: list[Json], *, line_1: str = "10 Downing Street"
) -> Json:
    return {
        "id": property_id,
        "moved_in_at": "2020-11-30T00:00:00Z",
        "moved_out_at": None,
        "address_line_1": line_1,
        "address_line_2": "",
        "address_line_3": "",
        "town": "LONDON",
        "county": "",
        "postcode": postcode,
        "electricity_meter_points": points,
        "gas_meter_points": [],
    }


def account(number: str, properties: list[Json]) -> Json:
    return {"number": number, "properties": properties}


def product_row(
    code: str,
    *,
    display_name: str,
    direction: str = "IMPORT",
    available_from: str = "2024-10-01T00:00:00+01:00",
    available_to: str | None = None,
    **flags: bool,
) -> Json:
    """A row of `GET /v1/products/`; flags default as for a public domestic variable product."""
    base = {
        "is_variable": True,
        "is_green": False,
        "is_tracker": False,
        "is_prepay": False,
        "is_business": False,
        "is_restricted": False,
    }
    return {
        "code": code,
        "direction": direction,
        "full_name": f"{display_name} {code[-8:]}",
        "display_name": display_name,
        "description": f"{display_name}: a fixture product.",
        **base,
        **flags,
        "term": None,
        "available_from": available_from,
        "available_to": available_to,
        "links": [
            {
                "href": f"https://api.octopus.energy/v1/products/{code}/",
                "method": "GET",
                "rel": "self",
            }
        ],
        "brand": "OCTOPUS_ENERGY",
    }


def regional_tariff(code: str, standing: float, **unit_rates: float) -> Json:
    """A tariff of one region and payment method; `unit_rates` are inc-VAT pence by name
    (`standard_unit_rate`, or `day_unit_rate` and `night_unit_rate`). The exc-VAT figures
    are the inc-VAT ones at 5 % VAT, rounded as Octopus publishes them (4 decimals)."""
    body: Json = {
        "code": code,
        "standing_charge_exc_vat": round(standing / 1.05, 4),
        "standing_charge_inc_vat": standing,
        "online_discount_exc_vat": 0,
        "online_discount_inc_vat": 0,
        "dual_fuel_discount_exc_vat": 0,
        "dual_fuel_discount_inc_vat": 0,
        "exit_fees_exc_vat": 0,
        "exit_fees_inc_vat": 0,
        "exit_fees_type": "NONE",
        "links": [],
    }
    for name, inc_vat in unit_rates.items():
        body[f"{name}_exc_vat"] = round(inc_vat / 1.05, 4)
        body[f"{name}_inc_vat"] = inc_vat
    return body


def product_detail(
    row: Json,
    *,
    single: dict[str, Json] | None = None,
    dual: dict[str, Json] | None = None,
    four_rate: dict[str, Json] | None = None,
    tariffs_active_at: str = "2026-12-01T00:00:00Z",
) -> Json:
    """`GET /v1/products/{code}/`: `single` / `dual` / `four_rate` map a region letter to its
    direct_debit_monthly tariff (regional_tariff; four_rate_ev_tariff). `four_rate` is sent
    only when given, as the API sends it only for smart EV products."""
    extra: Json = {}
    if four_rate is not None:
        extra["four_rate_ev_electricity_tariffs"] = {
            f"_{region}": {"direct_debit_monthly": tariff} for region, tariff in four_rate.items()
        }
    return {
        **{k: v for k, v in row.items() if k not in ("links", "direction")},
        "tariffs_active_at": tariffs_active_at,
        "single_register_electricity_tariffs": {
            f"_{region}": {"direct_debit_monthly": tariff}
            for region, tariff in (single or {}).items()
        },
        "dual_register_electricity_tariffs": {
            f"_{region}": {"direct_debit_monthly": tariff}
            for region, tariff in (dual or {}).items()
        },
        **extra,
        "single_register_gas_tariffs": {},
        "dual_register_gas_tariffs": {},
        "sample_quotes": {},
        "sample_consumption": {},
        "links": row["links"],
        "brand": row["brand"],
    }


def four_rate_ev_tariff(code: str, standing: float, **rates: float) -> Json:
    """A four-rate EV tariff (Intelligent Octopus Go and the like): day and night rates plus
    the EV device's peak and off-peak rates, each with its rates link."""
    body = regional_tariff(code, standing, **rates)
    product = code[5:-2]
    body["links"] = [
        {
            "href": f"https://api.octopus.energy/v1/products/{product}/electricity-tariffs/"
            f"{code}/{kind.replace('_', '-')}/",
            "method": "GET",
            "rel": kind,
        }
        for kind in (
            "day_unit_rates",
            "night_unit_rates",
            "ev_device_peak_unit_rates",
            "ev_device_off_peak_unit_rates",
            "standing_charges",
        )
    ]
    return body


def rate_row(
    inc_vat: float,
    valid_from: str,
    valid_to: str | None,
    *,
    payment_method: str | None = None,
    exc_vat: float | None = None,
) -> Json:
    """A row of a rates list; `exc_vat` defaults to the inc-VAT figure at 5 % VAT (an export
    rate, paid without VAT, gives both the same)."""
    return {
        "value_exc_vat": round(inc_vat / 1.05, 4) if exc_vat is None else exc_vat,
        "value_inc_vat": inc_vat,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "payment_method": payment_method,
    }
