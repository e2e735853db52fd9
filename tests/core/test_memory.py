"""The malloc arena limit (core/memory.py), read back from glibc's own report in a fresh process:
each of six threads alive at once allocates, so glibc makes an arena per thread up to the limit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="malloc arenas are glibc's",
)

COUNT_ARENAS = textwrap.dedent(
    """
    import ctypes, ctypes.util, sys, tempfile, threading
    from tariffconnect.core import memory

    limited = memory.limit_malloc_arenas(int(sys.argv[1]))
    barrier = threading.Barrier(7)
    kept = []

    def allocate():
        kept.append(bytearray(64 * 1024))  # past pymalloc: glibc's malloc, in this thread's arena
        barrier.wait()  # every thread alive at once, so none takes over another's arena
        barrier.wait()

    threads = [threading.Thread(target=allocate) for _ in range(6)]
    for thread in threads:
        thread.start()
    barrier.wait()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.fclose.argtypes = (ctypes.c_void_p,)
    with tempfile.NamedTemporaryFile(suffix=".xml") as report:
        handle = libc.fopen(report.name.encode(), b"w")
        libc.malloc_info(0, handle)
        libc.fclose(handle)
        arenas = open(report.name).read().count("<heap nr=")
    barrier.wait()
    for thread in threads:
        thread.join()
    print(limited, arenas)
    """
)


def arenas_used(limit: int, **environment: str) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | environment
    answer = subprocess.run(
        [sys.executable, "-c", COUNT_ARENAS, str(limit)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    )
    limited, arenas = answer.stdout.split()
    return limited, int(arenas)


def test_two_arenas_serve_six_threads() -> None:
    assert arenas_used(2) == ("True", 2)


def test_zero_leaves_glibc_an_arena_per_thread() -> None:
    assert arenas_used(0) == ("False", 7)  # the main thread's and one for each of six


def test_the_environment_wins() -> None:
    assert arenas_used(2, MALLOC_ARENA_MAX="4") == ("False", 4)
