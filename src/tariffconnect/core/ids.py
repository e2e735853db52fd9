"""Object ids: `<prefix>_<24 lowercase hex>`, ordered by creation time.

The first 12 hex digits are the creation time in milliseconds, the last 12 are random. Within
one process, ids made in the same millisecond increase (the random part is incremented), so
sorting by id is sorting by creation, which is what cursor pagination relies on.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

from starlette.convertors import Convertor, register_url_convertor

ID_PATTERN = r"^[a-z]+_[0-9a-f]{24}$"
_ID_RE = re.compile(r"([a-z]+)_([0-9a-f]{24})")
_RANDOM_BITS = 48
_lock = threading.Lock()
_last = (0, 0)


def new_id(prefix: str) -> str:
    """Return a fresh time-ordered id with the given prefix."""
    global _last
    millis = time.time_ns() // 1_000_000
    with _lock:
        last_millis, last_random = _last
        if millis <= last_millis:
            millis = last_millis
            rand = last_random + 1
            if rand >= 1 << _RANDOM_BITS:  # 2^48 ids in one millisecond: borrow the next one
                millis, rand = millis + 1, secrets.randbits(_RANDOM_BITS - 1)
        else:
            # Start in the lower half so same-millisecond increments never overflow in practice.
            rand = secrets.randbits(_RANDOM_BITS - 1)
        _last = (millis, rand)
    return f"{prefix}_{millis:012x}{rand:012x}"


def is_valid_id(value: str, prefix: str | None = None) -> bool:
    """True when `value` has the id shape (and the given prefix, if any)."""
    match = _ID_RE.fullmatch(value)
    if match is None:
        return False
    return prefix is None or match.group(1) == prefix


class _PrefixConvertor(Convertor[str]):
    """A path segment that starts `<prefix>_` (the subclass sets `regex`): what an
    `{name:<prefix>}` path parameter matches, so `/connect/token` is never read as the
    session id `token`."""

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def id_path(name: str, prefix: str) -> str:
    """`/{name:<prefix>}`, a path segment matching only ids with this prefix."""

    class Prefixed(_PrefixConvertor):
        regex = f"{prefix}_[^/]*"

    register_url_convertor(prefix, Prefixed())
    return f"/{{{name}:{prefix}}}"
