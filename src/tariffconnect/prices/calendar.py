"""Public holidays of a location, from the `holidays` package."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=1024)
def _year(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:  # no calendar for this country: no public holidays known
        return frozenset()
    except (KeyError, ValueError):  # a subdivision the package does not know: the country's
        return _year(country, None, year) if subdivision else frozenset()
    return frozenset(calendar)


def public_holidays(country: str, subdivision: str | None, years: range) -> frozenset[date]:
    """The public holidays of a country (and subdivision, where they differ) in `years`."""
    found: set[date] = set()
    for year in years:
        found |= _year(country, subdivision, year)
    return frozenset(found)
