"""A Connect session's status changes, all in connect/service.py: CREATED, IN_PROGRESS,
COMPLETED, and EXPIRED derived from time_expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tariffconnect.connect import service as sessions
from tariffconnect.core.timeutil import as_utc, utcnow
from tariffconnect.events.models import Event
from tests.connect.flow.flow import make_session


@pytest.fixture
def token(client, tenant):
    return make_session(client, tenant.test)


def _events(session, token):
    query = select(Event.type).where(Event.object_id == token).order_by(Event.id)
    return list(session.scalars(query))


def test_a_new_session_is_created_and_begin_moves_it_in_progress_once(database, token):
    with database.transaction() as session:
        found = sessions.get_by_token(session, connect_token=token)
        assert found is not None and found.status == sessions.CREATED
        sessions.begin(connect_session=found)
        assert found.status == sessions.IN_PROGRESS
        sessions.begin(connect_session=found)
        assert found.status == sessions.IN_PROGRESS


def test_begin_keeps_a_completed_session_completed(database, token):
    with database.transaction() as session:
        found = sessions.get_by_token(session, connect_token=token)
        assert found is not None
        sessions.complete(session, connect_session=found, now=utcnow())
        sessions.begin(connect_session=found)
        assert found.status == sessions.COMPLETED


def test_complete_records_complete_once_then_update(database, token):
    first, later = utcnow(), utcnow() + timedelta(minutes=5)
    with database.transaction() as session:
        found = sessions.get_by_token(session, connect_token=token)
        assert found is not None
        sessions.complete(session, connect_session=found, now=first)
        sessions.complete(session, connect_session=found, now=later)
        assert found.status == sessions.COMPLETED
        assert as_utc(found.time_completed) == first  # when it first completed
        assert _events(session, token) == [
            "connect_session.create",
            "connect_session.complete",
            "connect_session.update",
        ]


def test_status_of_is_expired_past_time_expiry_unless_completed(database, token):
    with database.transaction() as session:
        found = sessions.get_by_token(session, connect_token=token)
        assert found is not None
        expiry = as_utc(found.time_expiry)
        assert sessions.status_of(found, now=expiry - timedelta(seconds=1)) == sessions.CREATED
        assert sessions.status_of(found, now=expiry) == sessions.EXPIRED
        assert sessions.past_expiry(found, now=expiry)
        sessions.complete(session, connect_session=found, now=utcnow())
        assert sessions.status_of(found, now=expiry) == sessions.COMPLETED
        assert sessions.past_expiry(found, now=expiry)  # its link has still run out


@pytest.mark.parametrize("connect_token", ["cot_nope", "loc_" + "0" * 24, "cot_" + "0" * 24])
def test_get_by_token_is_none_for_no_such_session(database, connect_token):
    with database.transaction() as session:
        assert sessions.get_by_token(session, connect_token=connect_token, lock=True) is None


def test_get_by_token_needs_no_scope_the_token_is_the_authority(database, tenant, token):
    with database.transaction() as session:
        found = sessions.get_by_token(session, connect_token=token, lock=True)
        assert found is not None
        assert (found.id, found.account_id, found.live_mode) == (token, tenant.account_id, False)
