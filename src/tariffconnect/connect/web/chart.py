"""The summary page's price chart: an inline SVG drawn on the server, no script.

Each rate period is split into hourly bars (cut at the clock hours), and each bar is marked
Low, Medium or High over the tariff's own price levels, the distinct prices of that day:

- one distinct price: Medium (there is nothing to compare it with);
- two: the lower is Low, the higher High (Flatpeak's reference front end says Medium for the
  lower, which tells a customer on a day/night tariff their cheap night is not cheap);
- more: the squared distance of the price to the lowest, the highest and the mean of the
  distinct prices; the nearest wins (Low, High, Medium), and the mean wins a tie (the
  reference front end's rule; the lowest is always Low, as its distance to itself is 0).

Arithmetic is exact (fractions of the decimal prices), so ties are real ties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction
from typing import Any

from markupsafe import Markup, escape

LOW, MEDIUM, HIGH = "LOW", "MEDIUM", "HIGH"
MAX_BARS = 200  # per day; more is not a day of hourly prices
HOUR = timedelta(hours=1)

WIDTH = 320
TOP = 8
PLOT_HEIGHT = 120
AXIS_HEIGHT = 20
HEIGHT = TOP + PLOT_HEIGHT + AXIS_HEIGHT


def _exact(cost: float | int | str) -> Fraction:
    return Fraction(str(cost))


def levels(costs: Sequence[float | int | str]) -> list[str]:
    """LOW, MEDIUM or HIGH for each cost, by the rule in the module's docstring."""
    exact = [_exact(cost) for cost in costs]
    distinct = sorted(set(exact))
    if len(distinct) <= 1:
        return [MEDIUM] * len(exact)
    lowest, highest = distinct[0], distinct[-1]
    if len(distinct) == 2:
        return [HIGH if cost == highest else LOW for cost in exact]
    mean = sum(distinct, Fraction(0)) / len(distinct)
    found = []
    for cost in exact:
        to_low, to_high, to_mean = (cost - lowest) ** 2, (cost - highest) ** 2, (cost - mean) ** 2
        nearest = min(to_low, to_high, to_mean)
        found.append(MEDIUM if to_mean == nearest else HIGH if to_high == nearest else LOW)
    return found


@dataclass(frozen=True, slots=True)
class Period:
    """One rate period of a day, with its level."""

    start: datetime
    end: datetime
    cost: float
    level: str


def periods(entries: Iterable[Any], zone: tzinfo | None = None) -> list[Period]:
    """The day's rate entries (`{tariff: {cost}, valid_from, valid_to}`) that can be read,
    in time order, each with the level of its cost among the day's."""
    found: list[tuple[datetime, datetime, float]] = []
    for entry in entries:
        parsed = _entry(entry, zone)
        if parsed is not None:
            found.append(parsed)
    found.sort(key=lambda item: item[0])
    marks = levels([cost for _, _, cost in found])
    return [Period(s, e, c, level) for (s, e, c), level in zip(found, marks, strict=True)]


def _entry(entry: Any, zone: tzinfo | None) -> tuple[datetime, datetime, float] | None:
    if not isinstance(entry, Mapping):
        return None
    tariff = entry.get("tariff")
    cost = tariff.get("cost") if isinstance(tariff, Mapping) else None
    if isinstance(cost, bool) or not isinstance(cost, int | float):
        return None
    try:
        start = datetime.fromisoformat(str(entry.get("valid_from")))
        end = datetime.fromisoformat(str(entry.get("valid_to")))
    except ValueError:
        return None
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        return None
    if zone is not None:
        start, end = start.astimezone(zone), end.astimezone(zone)
    return start, end, float(cost)


def hourly(day: Sequence[Period]) -> list[Period]:
    """The periods cut into bars of at most an hour, at the clock hours."""
    bars: list[Period] = []
    for period in day:
        start = period.start
        while start < period.end and len(bars) < MAX_BARS:
            next_hour = start.replace(minute=0, second=0, microsecond=0) + HOUR
            end = min(next_hour, period.end)
            bars.append(Period(start, end, period.cost, period.level))
            start = end
    return bars


def svg(
    bars: Sequence[Period],
    *,
    chart_id: str,
    title: str,
    description: str,
    bar_title: Callable[[Period], str],
    hour_label: Callable[[datetime], str] = lambda moment: f"{moment.hour:02d}:00",
) -> Markup:
    """The bar chart as inline SVG (`role="img"`, named by its `<title>`). Colours come from
    the stylesheet's classes (`bar-low`, ...): the page's CSP allows no inline styles.
    `hour_label` writes the axis's hours (every sixth), as the page writes times."""
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" focusable="false" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
    ]
    if bars:
        costs = [bar.cost for bar in bars]
        top, bottom = max(max(costs), 0.0), min(min(costs), 0.0)
        span = (top - bottom) or 1.0
        baseline = TOP + PLOT_HEIGHT * top / span
        step = WIDTH / len(bars)
        gap = 1.0 if step > 3 else 0.0
        for index, bar in enumerate(bars):
            height = max(abs(bar.cost) * PLOT_HEIGHT / span, 1.0)
            y = baseline - height if bar.cost >= 0 else baseline
            parts.append(
                f'<rect class="bar bar-{bar.level.lower()}" x="{index * step:.2f}" '
                f'y="{y:.2f}" width="{max(step - gap, 0.5):.2f}" height="{height:.2f}">'
                f"<title>{escape(bar_title(bar))}</title></rect>"
            )
        parts.append(
            f'<line class="axis-line" x1="0" x2="{WIDTH}" y1="{baseline:.2f}" y2="{baseline:.2f}"/>'
        )
        for index, bar in enumerate(bars):
            if bar.start.minute == 0 and bar.start.hour % 6 == 0:
                parts.append(
                    f'<text class="axis-label" x="{index * step:.2f}" '
                    f'y="{HEIGHT - 4}">{escape(hour_label(bar.start))}</text>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every dynamic part is escaped above)
