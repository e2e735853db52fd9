"""The /prices `data` array written as JSON bytes straight from the engine's columns."""

from __future__ import annotations

from datetime import timedelta, tzinfo

import orjson

from tariffconnect.core.windows import JSON_OPTIONS
from tariffconnect.prices.engine import Columns

# The text between an interval's fields in the `data` array, in the wire order.
_FROM = b'{"valid_from":'
_TO, _VALUE_AT, _CONFIDENCE_AT = b',"valid_to":', b',"price":{"value":', b',"confidence":'
_FIRST, _NEXT, _LAST = b"[" + _FROM, b"}}," + _FROM, b"}}]"
_CERTAIN = orjson.dumps(1.0)


def series_json(columns: Columns, offset: tzinfo) -> bytes:
    """The `data` array as JSON: for each interval `{"valid_from": ..., "valid_to": ...,
    "price": {"value": ..., "confidence": ...}}`, times in `offset`.

    A 90-day series at 15 minutes has 8,640 intervals, so this is the hot loop of a request
    the series cache cannot answer. No Interval and no dict per row: orjson writes the
    boundaries (each converted to the offset once, an interval ends where the next starts) and
    the values as flat arrays, exactly as it writes them inside objects, each confidence level
    is written once, and the rows are those pieces laid between fixed texts.
    tests/prices/test_series_json.py holds these bytes to a per-row orjson.dumps of dicts.
    """
    n = len(columns.values)
    if not n:
        return b"[]"
    moments = columns.boundaries
    if offset.utcoffset(None) != timedelta(0):
        moments = [moment.astimezone(offset) for moment in moments]
    # None of these texts holds a comma: an ISO time, a float.
    times = orjson.dumps(moments, option=JSON_OPTIONS)[1:-1].split(b",")
    values = orjson.dumps(list(map(float, columns.values)))[1:-1].split(b",")
    if columns.confidences is None:
        confidences = [_CERTAIN] * n
    else:
        texts = {level: orjson.dumps(float(level)) for level in set(columns.confidences)}
        confidences = list(map(texts.__getitem__, columns.confidences))
    parts = [_NEXT] * (8 * n)
    parts[0::8] = times[:-1]
    parts[1::8] = [_TO] * n
    parts[2::8] = times[1:]
    parts[3::8] = [_VALUE_AT] * n
    parts[4::8] = values
    parts[5::8] = [_CONFIDENCE_AT] * n
    parts[6::8] = confidences
    parts[-1] = _LAST
    return _FIRST + b"".join(parts)
