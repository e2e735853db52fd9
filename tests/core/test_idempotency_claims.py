"""The idempotency claim protocol, step by step, including a crashed attempt's lease."""

from datetime import timedelta

import pytest

from tariffconnect.core import idempotency
from tariffconnect.core.errors import ApiError
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import utcnow


@pytest.fixture
def scope(tenant):
    return Scope(account_id=tenant.account_id, live_mode=False)


def claim(database, scope, key="k", fingerprint="f" * 64):
    return idempotency.claim(
        database, scope=scope, key=key, fingerprint=fingerprint, check=lambda s: None
    )


def test_second_claim_while_the_first_runs_is_409(database, scope):
    claim(database, scope)
    with pytest.raises(ApiError) as error:
        claim(database, scope)
    assert (error.value.status, error.value.code) == (409, "idempotency_key_in_use")


def test_different_fingerprint_is_422(database, scope):
    claim(database, scope)
    with pytest.raises(ApiError) as error:
        claim(database, scope, fingerprint="0" * 64)
    assert (error.value.status, error.value.code) == (422, "idempotency_key_reused")


def test_completed_claim_replays(database, scope):
    mine = claim(database, scope)
    with database.transaction() as session:
        idempotency.complete(session, mine, status=201, body=b'{"id": "x"}')
    with pytest.raises(idempotency.Replay) as replay:
        claim(database, scope)
    assert (replay.value.status, replay.value.body) == (201, b'{"id": "x"}')


def test_answer_is_lost_with_a_rolled_back_transaction(database, scope):
    mine = claim(database, scope)
    with pytest.raises(RuntimeError), database.transaction() as session:
        idempotency.complete(session, mine, status=200, body=b"{}")
        raise RuntimeError("the request failed after recording its answer")
    with pytest.raises(ApiError) as error:  # still in progress: nothing was replayable
        claim(database, scope)
    assert error.value.code == "idempotency_key_in_use"


def test_released_claim_can_be_claimed_again(database, scope):
    mine = claim(database, scope)
    idempotency.release(database, mine)
    assert claim(database, scope).key == "k"


def test_an_abandoned_claim_is_taken_over_after_the_lease(database, scope):
    dead = claim(database, scope)  # its process was killed: it never completes or releases
    with database.transaction() as session:
        record = session.get(idempotency.IdempotencyRecord, (scope.account_id, False, "k"))
        record.time_locked = utcnow() - idempotency.LEASE - timedelta(seconds=1)
    taker = claim(database, scope)
    assert taker.time_locked > dead.time_locked
    # The dead attempt, were it to wake up, can no longer record an answer.
    with pytest.raises(ApiError), database.transaction() as session:
        idempotency.complete(session, dead, status=200, body=b"{}")


def test_records_older_than_24_hours_free_the_key(database, scope):
    mine = claim(database, scope)
    with database.transaction() as session:
        idempotency.complete(session, mine, status=200, body=b"{}")
        record = session.get(idempotency.IdempotencyRecord, (scope.account_id, False, "k"))
        record.time_created = utcnow() - idempotency.RETENTION - timedelta(seconds=1)
    fresh = claim(database, scope, fingerprint="1" * 64)
    assert fresh.fingerprint == "1" * 64
