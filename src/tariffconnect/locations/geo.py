"""Where a location is on the map, as far as the shipped data can tell: the tz database's
zone.tab gives the coordinates of each zone's principal city (Europe/London: London), so an
address in that very city gets them; anywhere else the answer is null rather than a guess."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

_COORDINATES = re.compile(r"([+-])(\d{2})(\d{2})(\d{2})?([+-])(\d{3})(\d{2})(\d{2})?")


def geo_location(city: str | None, timezone: str | None) -> dict[str, float] | None:
    """`{lat, lng}` of the zone's principal city when the address is in it, else None."""
    if not city or not timezone:
        return None
    point = _zone_points().get(timezone)
    zone_city = timezone.rsplit("/", 1)[-1].replace("_", " ")
    if point is None or _key(city) != _key(zone_city):
        return None
    return {"lat": point[0], "lng": point[1]}


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if c.isalnum())


def _degrees(sign: str, degrees: str, minutes: str, seconds: str | None) -> float:
    value = int(degrees) + int(minutes) / 60 + int(seconds or 0) / 3600
    return round(-value if sign == "-" else value, 4)


@cache
def _zone_points() -> dict[str, tuple[float, float]]:
    text = (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    points: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        columns = line.split("\t")
        match = _COORDINATES.fullmatch(columns[1])
        if match is None:
            continue
        s1, d1, m1, x1, s2, d2, m2, x2 = match.groups()
        points[columns[2]] = (_degrees(s1, d1, m1, x1), _degrees(s2, d2, m2, x2))
    return points
