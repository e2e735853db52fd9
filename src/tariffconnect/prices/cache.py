"""The serialised `data` arrays of `/prices` answers, kept per process.

Devices at one location, and an app's backend polling every few minutes, ask for the same
window again and again; a 90-day window at 15 minutes is 8,640 intervals, whose pricing and
serialisation cost far more than the rest of the request. The array is a pure function of the
key the caller builds (the tariffs as last updated, the market sources' version tokens, the
location's zone and calendar, the window and the answer's offset), so an entry never needs
invalidating: a change to any input is a different key, and old keys age out.

Bounded by bytes (the JSON text is far smaller than the Python objects it came from), by the
`price_series_cache_mb` setting: what it holds is most of what a busy process's resident size
grows by (bench/RESULTS.md, issue 17).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from tariffconnect.config import Settings

# The setting's default, for a cache made before (or without) an app's settings.
MAX_BYTES: int = Settings.model_fields["price_series_cache_mb"].default * 1024 * 1024


class SeriesCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, data: bytes) -> None:
        if len(data) > self.max_bytes // 8:
            return  # one answer may not push out most of the others
        with self._lock:
            old = self._entries.pop(key, None)
            self._size += len(data) - (len(old) if old is not None else 0)
            self._entries[key] = data
            self._evict()

    def resize(self, max_bytes: int) -> None:
        """Hold at most `max_bytes` from now on (0: hold nothing), the least recently used out."""
        with self._lock:
            self.max_bytes = max_bytes
            self._evict()

    def _evict(self) -> None:
        while self._size > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped)

    def clear(self) -> None:
        """Forget every entry (benchmarks and tests; a change never needs it, see above)."""
        with self._lock:
            self._entries.clear()
            self._size = 0


SERIES = SeriesCache()
