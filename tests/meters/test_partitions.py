"""Meter records on PostgreSQL: monthly partitions, made ahead by the task and on demand."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from tariffconnect.jobs import TaskContext
from tariffconnect.meters import partitions
from tariffconnect.meters.tasks import make_partitions
from tariffconnect.runtime import Runtime
from tests.meters.support import INTERVAL, put, record
from tests.schedules.support import make_location


def test_month_arithmetic():
    assert partitions.months_from(date(2026, 11, 1), 4) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
    assert partitions.month_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert partitions.name_of(date(2027, 1, 1)) == "meter_records_y2027m01"


def test_sqlite_has_one_plain_table(settings, database):
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    context = TaskContext(Runtime(settings=settings, db=database), now=datetime.now(UTC))
    assert make_partitions(context) == "SQLite: meter records are one plain table"


def test_the_task_makes_months_ahead(settings, database):
    if database.is_sqlite:
        pytest.skip("PostgreSQL only")
    now = datetime(2031, 5, 20, tzinfo=UTC)
    context = TaskContext(Runtime(settings=settings, db=database), now=now)
    summary = make_partitions(context)
    assert summary == (
        "4 partitions made: meter_records_y2031m05, meter_records_y2031m06, "
        "meter_records_y2031m07, meter_records_y2031m08"
    )
    assert make_partitions(context) == "0 partitions made"
    partitions.forget_known()  # as a new process would: it reads what exists
    assert make_partitions(context) == "0 partitions made"
    with database.engine.connect() as connection:
        assert {f"meter_records_y2031m0{m}" for m in (5, 6, 7, 8)} <= partitions.existing(
            connection
        )


def test_records_land_in_their_months_partition(client, tenant, database):
    if database.is_sqlite:
        pytest.skip("PostgreSQL only")
    location = make_location(client, tenant)["id"]
    body = [
        record(location, start_time="2019-03-31T23:30:00Z", end_time="2019-04-01T00:30:00Z"),
        record(
            location, start_time="2019-04-01T01:30:00+01:00", end_time="2019-04-01T02:00:00+01:00"
        ),
    ]
    put(client, tenant, INTERVAL, body)
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT tableoid::regclass::text FROM meter_records WHERE location_id = :id "
                "ORDER BY start_time"
            ),
            {"id": location},
        )
        assert [name for (name,) in rows] == ["meter_records_y2019m03", "meter_records_y2019m04"]
