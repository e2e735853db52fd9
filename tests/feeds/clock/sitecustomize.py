"""Python imports this at start-up when its folder is on PYTHONPATH (tests/feeds/support.py
puts it there for the server it starts): the process's clock starts at
TARIFFCONNECT_TEST_CLOCK (ISO 8601) and ticks on from there, so a real server can be met at a
chosen moment, such as the day before a DST change. Nothing in the service knows of it."""

import os

_moment = os.environ.get("TARIFFCONNECT_TEST_CLOCK")
if _moment:
    import time_machine

    time_machine.travel(_moment, tick=True).start()
