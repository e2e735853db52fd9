"""The expiry scan: tariff.expiring 14 days ahead, tariff.expired at the end, once each."""

import re
from datetime import timedelta

from sqlalchemy import select

from tariffconnect.core.timeutil import utcnow
from tariffconnect.events.models import Event
from tariffconnect.jobs import Every
from tariffconnect.jobs.models import PeriodicTaskLease
from tariffconnect.jobs.runner import run_now
from tariffconnect.runtime import Runtime
from tariffconnect.tariffs import expiry, tasks
from tariffconnect.worker import build_registry
from tests.tariffs.support import flat, tariff_body


def make_tariff(client, tenant, end):
    location = client.post(
        "/locations",
        json={"postal_address": {"city": "Bath", "country_code": "GB"}},
        headers=tenant.test,
    ).json()
    body = tariff_body(
        location["id"],
        flat(0.3),
        contract_start_date="2026-01-01T00:00:00Z",
        contract_end_date=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()


def expiry_events(database, tariff_id):
    with database.transaction(write=False) as session:
        return session.execute(
            select(Event.type, Event.data).where(Event.object_id == tariff_id).order_by(Event.id)
        ).all()


def scan(database, now):
    with database.transaction() as session:
        return expiry.scan(session, now=now)


def test_expiring_then_expired_each_once(client, database, tenant):
    now = utcnow()
    tariff = make_tariff(client, tenant, now + timedelta(days=20))
    scan(database, now)
    assert [t for t, _ in expiry_events(database, tariff["id"])] == ["tariff.create"]
    scan(database, now + timedelta(days=7))
    scan(database, now + timedelta(days=8))
    kinds = [t for t, _ in expiry_events(database, tariff["id"])]
    assert kinds == ["tariff.create", "tariff.expiring"]
    scan(database, now + timedelta(days=21))
    scan(database, now + timedelta(days=22))
    events = expiry_events(database, tariff["id"])
    assert [t for t, _ in events] == ["tariff.create", "tariff.expiring", "tariff.expired"]
    assert events[-1][1]["id"] == tariff["id"]
    assert events[-1][1]["contract_end_date"] == tariff["contract_end_date"]


def test_a_tariff_found_already_ended_gets_only_expired(client, database, tenant):
    now = utcnow()
    tariff = make_tariff(client, tenant, now + timedelta(days=1))
    scan(database, now + timedelta(days=30))
    assert [t for t, _ in expiry_events(database, tariff["id"])] == [
        "tariff.create",
        "tariff.expired",
    ]


def test_open_ended_and_replaced_tariffs_never_expire(client, database, tenant):
    now = utcnow()
    location = client.post(
        "/locations",
        json={"postal_address": {"city": "Bath", "country_code": "GB"}},
        headers=tenant.test,
    ).json()
    open_ended = client.post(
        "/tariffs", json=tariff_body(location["id"], flat(0.3)), headers=tenant.test
    ).json()
    scan(database, now + timedelta(days=3650))
    assert [t for t, _ in expiry_events(database, open_ended["id"])] == ["tariff.create"]


def test_the_expiry_scan_runs_as_the_runners_periodic_task(client, settings, database, tenant):
    [task] = [t for t in tasks.TASKS if t.name == "tariffs.expiry_scan"]
    assert task.schedule == Every(timedelta(minutes=1))
    assert task in build_registry().periodic
    tariff = make_tariff(client, tenant, utcnow() + timedelta(days=3))
    assert run_now(Runtime(settings=settings, db=database), task) is True
    kinds = [t for t, _ in expiry_events(database, tariff["id"])]
    assert kinds == ["tariff.create", "tariff.expiring"]
    with database.transaction(write=False) as session:
        row = session.get(PeriodicTaskLease, task.name)
        assert re.fullmatch(r"[1-9][0-9]* expiry events recorded", row.last_result)
