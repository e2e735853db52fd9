"""Schedule by amount: when each device draws (or exports) power, at least total cost.

A linear program, solved by HiGHS (`scipy.optimize.linprog(method="highs")`):

- the window is cut into *slots* wherever a price changes or a device's window starts or
  ends, so that a price is constant in each slot; constant power within a slot is then no
  loss (the cost is linear in it);
- a variable per (device, slot of its window): the device's power in kW, between 0 and its
  `max_power` (0 in a slot the shaving threshold rules out);
- per device, power x hours over its window equals its energy;
- per slot, the devices' powers add up to at most the site's `max_power`, whatever their
  direction: a plan that relied on an export offsetting an import would overload the
  connection the moment the export stopped;
- the objective: the import devices' price x energy, less the export devices' earnings.

When not every device can get its energy, devices are served in the order given: each is
given as much as fits beside those before it (one small program per device, maximising its
energy), is marked unreachable if that is short of its energy, and the cost is then
minimised with every device fixed at what it gets.

The baseline for savings is each device on its own at full power from its start until its
energy is in, the way it would run unscheduled; the shaving threshold and the site limit
do not apply to it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array, vstack

from tariffconnect.prices.engine import Interval
from tariffconnect.schedules.limit import threshold

POWER_DECIMALS = 3  # kW to the watt
_SHORT = 1e-6  # kWh (and a 1e-7 share): no more short of the energy still counts as reached
_KEEP = 1 - 1e-9  # what a device got, shaved so the next program stays feasible in floats


class SolverFailed(RuntimeError):
    """HiGHS did not find the optimum of a program that has one."""


@dataclass(frozen=True, slots=True)
class Load:
    """One device's request: its window, power limit, energy (kWh) and direction."""

    start: datetime
    end: datetime
    max_kw: float
    energy_kwh: float
    export: bool


@dataclass(frozen=True, slots=True)
class Run:
    start: datetime
    end: datetime
    kw: float


@dataclass(frozen=True, slots=True)
class Plan:
    """One device's answer. `cost` is negative where an export earns more than it costs."""

    runs: list[Run]
    energy_kwh: float
    reachable: bool
    cost: float
    baseline: float
    confidence: Decimal


@dataclass(frozen=True, slots=True)
class Shaving:
    """A price cap (import) or floor (export): `absolute` wins over `relative`."""

    relative: Decimal | None
    absolute: Decimal | None


@dataclass(frozen=True, slots=True)
class _Slots:
    moments: list[datetime]  # slot k is [moments[k], moments[k + 1])
    hours: np.ndarray
    price: dict[bool, np.ndarray]  # per direction (export?)
    confidence: dict[bool, list[Decimal]]
    allowed: dict[bool, np.ndarray]  # False where the shaving threshold rules a slot out


def schedule(
    loads: Sequence[Load],
    *,
    site_kw: float,
    prices: Mapping[bool, Sequence[Interval]],
    shaving: Shaving | None = None,
) -> list[Plan]:
    """Each load's plan, in the order given (see the module for the program)."""
    slots = _slots(loads, prices, shaving)
    columns = [_columns(load, slots.moments) for load in loads]
    offsets = np.cumsum([0, *(len(c) for c in columns)])
    cost = np.concatenate(
        [
            (-1 if load.export else 1) * slots.price[load.export][c] * slots.hours[c]
            for load, c in zip(loads, columns, strict=True)
        ]
    )
    upper = np.concatenate(
        [
            np.where(slots.allowed[load.export][c], min(load.max_kw, site_kw), 0.0)
            for load, c in zip(loads, columns, strict=True)
        ]
    )
    variables = int(offsets[-1])
    energy_rows = csr_array(
        (
            np.concatenate([slots.hours[c] for c in columns]),
            (np.repeat(np.arange(len(loads)), [len(c) for c in columns]), np.arange(variables)),
        ),
        shape=(len(loads), variables),
    )
    site_rows = csr_array(
        (np.ones(variables), (np.concatenate(columns), np.arange(variables))),
        shape=(len(slots.hours), variables),
    )
    bounds = np.column_stack([np.zeros(variables), upper])
    wanted = np.array([load.energy_kwh for load in loads])
    site = np.full(len(slots.hours), site_kw)

    found = linprog(
        cost, A_ub=site_rows, b_ub=site, A_eq=energy_rows, b_eq=wanted, bounds=bounds,
        method="highs",
    )  # fmt: skip
    got = wanted
    if found.status == 2:  # infeasible: not every device can get its energy
        got = _served_in_order(energy_rows, site_rows, site, wanted, bounds)
        found = linprog(
            cost, A_ub=site_rows, b_ub=site, A_eq=energy_rows, b_eq=got, bounds=bounds,
            method="highs",
        )  # fmt: skip
    if found.status != 0:
        raise SolverFailed(found.message)
    power = np.clip(found.x, 0.0, None)
    return [
        _plan(load, slots, c, power[offsets[k] : offsets[k + 1]], float(got[k]))
        for k, (load, c) in enumerate(zip(loads, columns, strict=True))
    ]


def _served_in_order(
    energy_rows: csr_array,
    site_rows: csr_array,
    site: np.ndarray,
    wanted: np.ndarray,
    bounds: np.ndarray,
) -> np.ndarray:
    """What each device gets when each, in turn, takes as much as fits beside those before."""
    got = np.zeros(len(wanted))
    for k in range(len(wanted)):
        found = linprog(
            -energy_rows[[k]].toarray()[0],
            A_ub=vstack([site_rows, energy_rows[k:]]),
            b_ub=np.concatenate([site, wanted[k:]]),
            A_eq=energy_rows[:k] if k else None,
            b_eq=got[:k] if k else None,
            bounds=bounds,
            method="highs",
        )
        if found.status != 0:
            raise SolverFailed(found.message)
        got[k] = max(0.0, min(wanted[k], -found.fun) * _KEEP)
    return got


def _slots(
    loads: Sequence[Load], prices: Mapping[bool, Sequence[Interval]], shaving: Shaving | None
) -> _Slots:
    first, last = min(load.start for load in loads), max(load.end for load in loads)
    cuts = {first, last}
    cuts |= {load.start for load in loads} | {load.end for load in loads}
    for series in prices.values():
        cuts |= {i.start for i in series if first < i.start < last}
    moments = sorted(cuts)
    hours = np.array([(b - a).total_seconds() / 3600 for a, b in pairwise(moments)])
    price: dict[bool, np.ndarray] = {}
    confidence: dict[bool, list[Decimal]] = {}
    allowed: dict[bool, np.ndarray] = {}
    for export, series in prices.items():
        starts = [i.start for i in series]
        holding = [series[bisect_right(starts, moment) - 1] for moment in moments[:-1]]
        price[export] = np.array([float(i.value) for i in holding])
        confidence[export] = [i.confidence for i in holding]
        allowed[export] = np.ones(len(holding), dtype=bool)
        if shaving is not None:
            limit = threshold(
                series,
                segment="HIGH" if export else "LOW",
                relative=shaving.relative,
                absolute=shaving.absolute,
            )
            values = [i.value for i in holding]
            allowed[export] = np.array([v >= limit if export else v <= limit for v in values])
    return _Slots(moments, hours, price, confidence, allowed)


def _columns(load: Load, moments: list[datetime]) -> np.ndarray:
    """The slots of the load's window (its start and end are cuts)."""
    first = moments.index(load.start)
    return np.arange(first, moments.index(load.end))


def _plan(load: Load, slots: _Slots, columns: np.ndarray, power: np.ndarray, got: float) -> Plan:
    sign = -1 if load.export else 1
    prices, hours = slots.price[load.export][columns], slots.hours[columns]
    kw = np.round(power, POWER_DECIMALS)
    runs: list[Run] = []
    for slot, value in zip(columns.tolist(), kw.tolist(), strict=True):
        if value <= 0:
            continue
        start, end = slots.moments[slot], slots.moments[slot + 1]
        if runs and runs[-1].end == start and runs[-1].kw == value:
            runs[-1] = Run(runs[-1].start, end, value)
        else:
            runs.append(Run(start, end, value))
    used = [slots.confidence[load.export][s] for s, p in zip(columns, power, strict=True) if p > 0]
    return Plan(
        runs=runs,
        energy_kwh=got,
        reachable=got >= load.energy_kwh * (1 - 1e-7) - _SHORT,
        cost=sign * float(np.dot(prices * hours, power)),
        baseline=sign * _baseline(load.max_kw, got, prices, hours),
        confidence=min(used, default=Decimal(1)),
    )


def _baseline(max_kw: float, energy: float, prices: np.ndarray, hours: np.ndarray) -> float:
    """Price x energy of running at full power from the start until `energy` is in."""
    total, left = 0.0, energy
    for price, length in zip(prices.tolist(), hours.tolist(), strict=True):
        take = min(max_kw * length, left)
        total += price * take
        left -= take
        if left <= 0:
            break
    return total
