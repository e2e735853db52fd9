"""Price engine benchmark: `price_intervals` over 90 days, in output intervals per second.

Scenarios (Europe/London, 2026-03-01 to 2026-05-30: the spring-forward night and four
English bank holidays fall inside):

- `tou`: a 4-period time-of-use tariff (weekday and weekend prices, a Holidays rule);
- `market`: a 15-minute market tariff with surcharges (8,640 intervals);
- `market+tou`: that market tariff summed with a 3-period non-commodity tariff.

Each is timed best of --rounds after one warm-up call (which fills the per-zone-year offset
cache); the cold first call, caches cleared, is shown too. Inputs (compiled schedules, market
prices) are built outside the timing, as the service caches them.

    .venv/bin/python bench/price_engine.py [--rounds 50]

Target: >= 1,000,000 intervals per second for `tou` and `market`.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from common import machine_facts, new_parser, start_run, write_markdown
from tariffconnect.prices import engine
from tariffconnect.prices.engine import Interval, MarketPrices, price_intervals
from tariffconnect.tariffs.schedule import Schedule, ScheduleEntry, validate_schedule

ZONE = ZoneInfo("Europe/London")
START = datetime(2026, 3, 1, tzinfo=UTC)  # local midnight: GMT until 29 March
END = START + timedelta(days=90)
HOLIDAYS = frozenset({date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25)})
TARGET = 1_000_000


def window(start: str, end: str, **rate: Any) -> dict[str, Any]:
    return {"valid_from": start, "valid_to": end, "rate": [rate]}


def compile_schedule(rules: list[dict[str, Any]], *, market: bool = False) -> Schedule:
    entry = ScheduleEntry.model_validate({"months": ["All"], "days_and_hours": rules})
    return validate_schedule([entry], market_rates=market)


def four_period() -> Schedule:
    def periods(night: float, day: float, peak: float, evening: float) -> list[dict[str, Any]]:
        return [
            window("00:00:00", "07:00:00", fixed=night),
            window("07:00:00", "16:00:00", fixed=day),
            window("16:00:00", "19:00:00", fixed=peak),
            window("19:00:00", "00:00:00", fixed=evening),
        ]

    return compile_schedule(
        [
            {"days": ["Weekdays"], "hours": periods(0.085, 0.245, 0.385, 0.215)},
            {"days": ["Weekend"], "hours": periods(0.08, 0.195, 0.295, 0.185)},
            {"days": ["Holidays"], "hours": [window("00:00:00", "00:00:00", fixed=0.15)]},
        ]
    )


def network_charges() -> Schedule:
    return compile_schedule(
        [
            {
                "days": ["All"],
                "hours": [
                    window("23:00:00", "06:00:00", fixed=0.012),
                    window("06:00:00", "16:00:00", fixed=0.031),
                    window("16:00:00", "23:00:00", fixed=0.058),
                ],
            }
        ]
    )


def market_tariff() -> Schedule:
    surcharge = window("00:00:00", "00:00:00", surcharge_fixed=0.0215, surcharge_percentage=0.05)
    return compile_schedule([{"days": ["All"], "hours": [surcharge]}], market=True)


def day_ahead(step: timedelta = timedelta(minutes=15)) -> MarketPrices:
    """90 days of 15-minute prices, neighbours always different (no merging)."""
    rng = random.Random(2026)
    prices: list[Decimal] = []
    while len(prices) < (END - START) // step:
        price = Decimal(rng.randint(-2_000, 45_000)) / 100_000
        if not prices or price != prices[-1]:
            prices.append(price)
    return MarketPrices.from_series(START, step, prices)


def scenarios() -> dict[str, Callable[[], list[Interval]]]:
    tou, network, market, prices = four_period(), network_charges(), market_tariff(), day_ahead()

    def run(tariffs: list[tuple[Schedule, MarketPrices | None]]) -> Callable[[], list[Interval]]:
        return lambda: price_intervals(tariffs, start=START, end=END, zone=ZONE, holidays=HOLIDAYS)

    return {
        "tou": run([(tou, None)]),
        "market": run([(market, prices)]),
        "market+tou": run([(market, prices), (network, None)]),
    }


def measure(call: Callable[[], list[Interval]], rounds: int) -> tuple[int, float, float]:
    """(intervals, cold seconds, best warm seconds)."""
    engine._transitions.cache_clear()
    began = time.perf_counter()
    count = len(call())
    cold = time.perf_counter() - began
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - began)
    return count, cold, best


def main(argv: list[str]) -> int:
    parser = new_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    load_before = start_run(needs_wrk=False)
    lines = [
        "| scenario | intervals | best ms | intervals/s | cold first call ms | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    met = True
    for name, call in scenarios().items():
        count, cold, best = measure(call, args.rounds)
        rate = count / best
        ok = rate >= TARGET if name in ("tou", "market") else None
        met &= ok is not False
        verdict = "-" if ok is None else ("met" if ok else "NOT met")
        cells = [name, f"{count:,}", f"{best * 1e3:.3f}", f"{rate:,.0f}", f"{cold * 1e3:.3f}"]
        lines.append("| " + " | ".join([*cells, verdict]) + " |")
    window = f"window {START:%Y-%m-%d} to {END:%Y-%m-%d} {ZONE.key}, best of {args.rounds}"
    table = "\n".join(lines)
    facts = "\n".join(machine_facts(args, load_before=load_before, details=[window]))
    print(f"{table}\n\n{facts}")
    write_markdown("price_engine", ["# Price engine benchmark", table, "## Machine", facts])
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
