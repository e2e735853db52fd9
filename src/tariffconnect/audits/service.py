"""Price audits: how each price of POST /prices is made up, interval by interval.

`total` and `confidence` are taken from the very series /prices answers
(`prices.service.intervals`), so they equal its figures always. The parts come from each
priced tariff's breakdown (`prices.service.parts`); the audit's intervals are those of /prices
cut further wherever a part changes while the total does not (say, a commodity rate going up
as a network charge goes down by as much), then merged again where nothing shown changes.
Parts are rounded to 5 decimals each, so they may add up to the total give or take a few
hundred-thousandths; the exact parts add up to the exact price that /prices rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from tariffconnect.audits.schemas import (
    AuditEcho,
    AuditInterval,
    AuditOut,
    AuditRequest,
    Commodity,
    NonCommodity,
    TariffRate,
)
from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import as_utc, format_utc, utcnow
from tariffconnect.core.windows import check_window, wire_time
from tariffconnect.locations import service as locations
from tariffconnect.prices import service as prices
from tariffconnect.prices.breakdown import Part
from tariffconnect.prices.engine import Interval
from tariffconnect.tariffs.models import Tariff

_QUANTUM = Decimal("0.00001")
_ZERO = Decimal(0)
# Every window is priced at its first tier (tariffs/schedule.py): the tier starting at 0 kWh.
_FIRST_TIER = 0.0


def _round(value: Decimal) -> float:
    return float(value.quantize(_QUANTUM, ROUND_HALF_UP))


def audit(session: Session, *, scope: Scope, location_id: str, body: AuditRequest) -> AuditOut:
    """The audit of one location's prices over a window (at most 90 days, as /prices)."""
    now = utcnow()
    offset = body.end_time.tzinfo or UTC
    start = body.start_time or now.astimezone(offset)
    check_window(start, body.end_time)
    location = locations.get_or_raise(session, scope=scope, location_id=location_id)
    priced = prices.priced_tariffs(session, location=location, direction=body.tariff_direction)
    utc_start, utc_end = as_utc(start), as_utc(body.end_time)
    totals = prices.intervals(session, location, priced, start=utc_start, end=utc_end)
    parts = prices.parts(session, location, priced, start=utc_start, end=utc_end)
    return AuditOut(
        id=new_id("tra"),
        live_mode=scope.live_mode,
        location_id=location.id,
        location_timezone=location.timezone,
        currency_code=location.currency_code,
        tariff_direction=body.tariff_direction,
        request=AuditEcho(
            start_time=wire_time(start, offset),
            end_time=wire_time(body.end_time, offset),
            tariff_direction=body.tariff_direction,
        ),
        market_sources=sorted(
            {t.market_source_id for t in priced if t.market_rates and t.market_source_id}
        ),
        data=_intervals(priced, totals, parts, offset),
        time_created=format_utc(now),
        account_id=scope.account_id,
    )


def _intervals(
    priced: Sequence[Tariff],
    totals: Sequence[Interval],
    parts: Sequence[Sequence[Part]],
    offset: tzinfo,
) -> list[AuditInterval]:
    """The /prices intervals cut where any tariff's part changes, merged where nothing shown
    changes."""
    cuts = sorted({i.start for i in totals} | {p.start for ps in parts for p in ps})
    ends = [*cuts[1:], totals[-1].end] if totals else []
    at_total = 0
    at_part = [0] * len(parts)
    rows: list[tuple[datetime, datetime, TariffRate]] = []
    for start, end in zip(cuts, ends, strict=True):
        while totals[at_total].end <= start:
            at_total += 1
        current = []
        for k, tariff_parts in enumerate(parts):
            while tariff_parts[at_part[k]].end <= start:
                at_part[k] += 1
            current.append(tariff_parts[at_part[k]])
        rate = _rate(priced, current, totals[at_total])
        if rows and rows[-1][2] == rate:
            rows[-1] = (rows[-1][0], end, rate)
        else:
            rows.append((start, end, rate))
    return [
        AuditInterval(
            valid_from=wire_time(a, offset), valid_to=wire_time(b, offset), tariff_rate=rate
        )
        for a, b, rate in rows
    ]


def _rate(priced: Sequence[Tariff], current: Sequence[Part], total: Interval) -> TariffRate:
    """The parts of one moment: commodity tariffs by component, non-commodity ones summed."""
    market = fixed = percentage = other = _ZERO
    has_commodity = has_other = False
    for tariff, part in zip(priced, current, strict=True):
        if tariff.tariff_type != "COMMODITY":
            has_other = True
            other += part.value
            continue
        has_commodity = True
        fixed += part.fixed
        if part.market is not None:
            market += part.market
            fixed += part.surcharge_fixed
            percentage += (part.market + part.surcharge_fixed) * (part.surcharge_factor - 1)
    commodity = None
    if has_commodity:
        commodity = Commodity(
            market=_round(market),
            fixed=_round(fixed),
            percentage=_round(percentage),
            tier=_FIRST_TIER,
            aggregate=_round(market + fixed + percentage),
        )
    return TariffRate(
        commodity=commodity,
        non_commodity=NonCommodity(fixed=_round(other), tier=_FIRST_TIER) if has_other else None,
        total=float(total.value),
        confidence=float(total.confidence),
    )
