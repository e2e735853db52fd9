"""CSV prices for operators without outbound internet: parsed, checked, or refused by line."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tariffconnect.market import imports, sources, store

SE3 = sources.find("se3")
H = "start,minutes,price\n"


def read(text):
    return imports.read(io.StringIO(text), SE3)


def test_a_file_becomes_rows_in_the_sources_currency_at_utc():
    rows = read(
        "start,minutes,price\n2026-06-01T00:00:00+02:00,15,1.25\n2026-05-31T22:15:00Z,15,-0.1\n"
    )
    assert rows == [
        store.Row(datetime(2026, 5, 31, 22, 0, tzinfo=UTC), 15, Decimal("1.25")),
        store.Row(datetime(2026, 5, 31, 22, 15, tzinfo=UTC), 15, Decimal("-0.1")),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("begin,minutes,price\n", "line 1: the header must be start,minutes,price"),
        (H, "the file has no prices"),
        (H + "monday,15,1\n", "line 2: start 'monday' is not an RFC 3339 time"),
        (
            "start,minutes,price\n2026-06-01T00:00:00,15,1\n",
            "line 2: start '2026-06-01T00:00:00' has no offset",
        ),
        (
            "start,minutes,price\n2026-06-01T00:00:00Z,20,1\n",
            "line 2: minutes must be 15, 30 or 60, not '20'",
        ),
        (H + "2026-06-01T00:00:00Z,15,1,5\n", "line 2: expected 3 columns"),
        (
            "start,minutes,price\n2026-06-01T00:00:00Z,15,NaN\n",
            "line 2: price 'NaN' is not a number",
        ),
        (H + "2026-06-01T00:00:00Z,15,\n", "line 2: price '' is not a number"),
        (H + "2026-06-01T00:00:00Z,15\n", "line 2: expected 3 columns"),
        (
            H + "2026-06-01T00:00:00Z,15,1\n2026-06-01T00:00:00Z,15,2\n",
            "2026-06-01: intervals overlap or repeat at 2026-06-01T00:00:00+00:00",
        ),
    ],
)
def test_a_bad_file_is_refused_with_its_line(text, message):
    with pytest.raises(imports.CsvError) as refused:
        read(text)
    assert str(refused.value) == message
