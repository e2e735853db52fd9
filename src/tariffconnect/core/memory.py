"""The process's malloc arenas: how many glibc may create.

glibc gives each thread that allocates a malloc arena of its own, up to eight per core. A
server's handler threads each build large answers (a 90-day price series is about 1.3 MB of
JSON and several times that in Python objects), and memory freed in one arena is not reused by
another thread's, so a process's resident size grows well past what it holds live: about
75 MiB of one process after five minutes of mixed load (bench/RESULTS.md, issue 17). Two arenas
cost nothing measurable in the benchmarks, since the GIL already lets one thread allocate at a
time.

`MALLOC_ARENA_MAX` in the environment, read by glibc when the process starts, wins: an
operator's explicit choice is left as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int) -> bool:
    """Ask glibc to create at most `arenas` malloc arenas from now on (0: leave its default).
    True when the limit was set; False on another C library, or when the environment sets it."""
    if arenas <= 0 or "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl, macOS): nothing to limit
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    answer: int = mallopt(M_ARENA_MAX, arenas)
    return answer == 1  # musl's mallopt answers 0: it has no arenas
