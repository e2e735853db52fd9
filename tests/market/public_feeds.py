"""One real HTTP server standing in for every public feed at once, for end-to-end fetches:
Energy-Charts, ENTSO-E, Octopus and the ECB, each under its own path, answering any zone,
region or currency for any window, in the shapes their documentation shows (the per-feed
tests in tests/market/feeds/ cover the awkward answers).

Prices are a pure function of the zone and the interval, so a test can say what it expects:
`eur_mwh(zone, start)` for the day-ahead feeds, `agile_pence(group, start)` for Agile.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tariffconnect.config import Settings
from tariffconnect.market.feeds.entsoe import EIC_CODES
from tests.market.feeds.fixture_server import Answer, Asked, FixtureServer, serving

AGILE = "AGILE-24-10-01"
GROUPS = "ABCDEFGHJKLMNP"
ZONE_OF_EIC = {code: zone for zone, code in EIC_CODES.items()}
FX = {
    "SEK": Decimal("11.4665"),
    "NOK": Decimal("11.7760"),
    "DKK": Decimal("7.4610"),
    "PLN": Decimal("4.2290"),
}
PUBLICATION = "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3"


def eur_mwh(zone: str, start: datetime) -> Decimal:
    """A zone's day-ahead price at `start`: a base per zone plus the hour of the day."""
    base = sum(map(ord, zone)) % 40 + 40
    return Decimal(base + start.hour) + Decimal(start.minute) / 100


def agile_pence(group: str, start: datetime) -> Decimal:
    """A region's Agile rate (p/kWh including VAT) at `start`; negative at 03:00 UTC."""
    value = Decimal(GROUPS.index(group) + 10) + Decimal(start.hour) / 4
    return value - 20 if start.hour == 3 else value


def settings_for(settings: Settings, server: FixtureServer) -> Settings:
    """`settings` with every feed pointed at `server` (and an ENTSO-E token)."""
    return settings.model_copy(update=urls(server.url) | {"entsoe_token": "test-token"})


def urls(base: str) -> dict[str, str]:
    return {
        "energy_charts_url": f"{base}/energy-charts",
        "entsoe_url": f"{base}/entsoe/api",
        "octopus_url": f"{base}/octopus/v1",
        "ecb_url": f"{base}/ecb/service",
    }


@contextmanager
def public_feeds(
    *, down: frozenset[str] = frozenset(), down_status: int = 503
) -> Iterator[FixtureServer]:
    """Serve every feed; the feeds named in `down` answer `down_status`."""
    handlers = {
        "/energy-charts/": _energy_charts,
        "/entsoe/": _entsoe,
        "/octopus/": _octopus,
        "/ecb/": _ecb,
    }

    def answer(asked: Asked) -> Answer:
        for prefix, handler in handlers.items():
            if asked.path.startswith(prefix):
                if prefix.strip("/") in down:
                    return Answer(down_status, b"", content_type="text/plain")
                return handler(asked)
        return Answer(404, b"{}")

    with serving(answer) as server:
        yield server


def _steps(start: datetime, end: datetime, minutes: int) -> list[datetime]:
    step, moments, moment = timedelta(minutes=minutes), [], start
    while moment < end:
        moments.append(moment)
        moment += step
    return moments


def _minute(value: str, pattern: str) -> datetime:
    return datetime.strptime(value, pattern).replace(tzinfo=UTC)


def _energy_charts(asked: Asked) -> Answer:
    start = _minute(asked.query["start"], "%Y-%m-%dT%H:%MZ")
    end = _minute(asked.query["end"], "%Y-%m-%dT%H:%MZ")
    moments = _steps(start, end, 15)
    body = {
        "license_info": "CC BY 4.0 (creativecommons.org/licenses/by/4.0) from Bundesnetzagentur",
        "unix_seconds": [int(m.timestamp()) for m in moments],
        "price": [float(eur_mwh(asked.query["bzn"], m)) for m in moments],
        "unit": "EUR / MWh",
        "deprecated": False,
    }
    return Answer(200, json.dumps(body).encode())


def _entsoe(asked: Asked) -> Answer:
    zone = ZONE_OF_EIC[asked.query["in_Domain"]]
    start = _minute(asked.query["periodStart"], "%Y%m%d%H%M")
    end = _minute(asked.query["periodEnd"], "%Y%m%d%H%M")
    points = "".join(
        f"<Point><position>{n}</position><price.amount>{eur_mwh(zone, m)}</price.amount></Point>"
        for n, m in enumerate(_steps(start, end, 15), start=1)
    )
    span = f"<start>{start:%Y-%m-%dT%H:%MZ}</start><end>{end:%Y-%m-%dT%H:%MZ}</end>"
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<Publication_MarketDocument xmlns="{PUBLICATION}">'
        f"<mRID>fixture</mRID><revisionNumber>1</revisionNumber><type>A44</type>"
        f"<period.timeInterval>{span}</period.timeInterval>"
        "<TimeSeries><mRID>1</mRID><auction.type>A01</auction.type>"
        "<businessType>A62</businessType><contract_MarketAgreement.type>A01</contract_MarketAgreement.type>"
        "<currency_Unit.name>EUR</currency_Unit.name><price_Measure_Unit.name>MWH</price_Measure_Unit.name>"
        "<classificationSequence_AttributeInstanceComponent.position>1</classificationSequence_AttributeInstanceComponent.position>"
        "<curveType>A01</curveType>"
        f"<Period><timeInterval>{span}</timeInterval><resolution>PT15M</resolution>{points}</Period>"
        "</TimeSeries></Publication_MarketDocument>"
    )
    return Answer(200, xml.encode(), content_type="text/xml")


def _octopus(asked: Asked) -> Answer:
    base = asked.path.split("/v1/")[0] + "/v1"
    rest = asked.path[len(base) :]
    if rest == "/products/":
        product = {
            "code": AGILE,
            "direction": "IMPORT",
            "full_name": "Agile Octopus October 2024 v1",
            "display_name": "Agile Octopus",
            "is_variable": True,
            "is_green": True,
            "is_tracker": False,
            "is_prepay": False,
            "is_business": False,
            "is_restricted": False,
            "available_from": "2024-10-01T00:00:00+01:00",
            "available_to": None,
            "brand": "OCTOPUS_ENERGY",
        }
        return _json({"count": 1, "next": None, "previous": None, "results": [product]})
    if rest == f"/products/{AGILE}/":
        tariffs = {f"_{g}": {"direct_debit_monthly": {"code": f"E-1R-{AGILE}-{g}"}} for g in GROUPS}
        return _json({"code": AGILE, "single_register_electricity_tariffs": tariffs})
    tariff = rest.split("/electricity-tariffs/")[1].split("/")[0]  # E-1R-AGILE-24-10-01-C
    group = tariff[-1]
    start = datetime.fromisoformat(asked.query["period_from"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(asked.query["period_to"].replace("Z", "+00:00"))
    rows = [
        {
            "value_exc_vat": float(agile_pence(group, m) / Decimal("1.05")),
            "value_inc_vat": float(agile_pence(group, m)),
            "valid_from": f"{m:%Y-%m-%dT%H:%M:%SZ}",
            "valid_to": f"{m + timedelta(minutes=30):%Y-%m-%dT%H:%M:%SZ}",
            "payment_method": None,
        }
        for m in reversed(_steps(start, end, 30))
    ]
    return _json({"count": len(rows), "next": None, "previous": None, "results": rows})


def _ecb(asked: Asked) -> Answer:
    currency = asked.path.rsplit("/", 1)[1].split(".")[1]
    first = date.fromisoformat(asked.query["startPeriod"])
    last = date.fromisoformat(asked.query["endPeriod"])
    header = "KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,OBS_STATUS"
    lines = [header]
    day = first
    while day <= last:
        if day.weekday() < 5:  # published on working days only
            lines.append(
                f"EXR.D.{currency}.EUR.SP00.A,D,{currency},EUR,SP00,A,{day},{FX[currency]},A"
            )
        day += timedelta(days=1)
    return Answer(200, ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def _json(body: object) -> Answer:
    return Answer(200, json.dumps(body).encode())
