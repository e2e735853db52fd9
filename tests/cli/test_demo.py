"""The first-run demo and the service functions it seeds through, on a fresh database."""

import re
from pathlib import Path

import pytest

from tariffconnect.accounts import service as accounts
from tariffconnect.cli import demo
from tariffconnect.cli.database import open_database
from tariffconnect.config import Settings
from tariffconnect.connect import service as connect_sessions
from tariffconnect.core.scoping import Scope
from tariffconnect.locations import service as locations
from tariffconnect.locations.schemas import LocationCreate, PostalAddressIn
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import fresh_database_url

LINK = re.compile(r"^  http://127\.0\.0\.1:8123/connect/web\?fp_cot=(cot_[0-9a-f]{24})$", re.M)


@pytest.fixture
def fresh_settings(tmp_path: Path):
    """Settings for an empty database of the kind under test, migrated by `open_database`."""
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        yield Settings(
            data_dir=tmp_path,
            database_url=url,
            port=8123,
            demo_account=True,
            worker_in_process=False,
        )


def test_first_is_the_oldest_account_with_the_name_if_given(fresh_settings):
    with open_database(fresh_settings) as db, db.transaction() as session:
        assert accounts.first(session) is None
        assert accounts.first(session, name="Acme") is None
        acme = accounts.create(session, name="Acme")
        other = accounts.create(session, name="Other")
        accounts.create(session, name="Acme")
        assert accounts.first(session).id == acme.id
        assert accounts.first(session, name="Acme").id == acme.id
        assert accounts.first(session, name="Other").id == other.id
        assert accounts.first(session, name="Nobody") is None


def test_get_by_reference_id_is_the_callers_oldest_in_the_mode(database):
    address = PostalAddressIn(city="London", country_code="GB")
    with database.transaction() as session:
        account = accounts.create(session, name="Refs")
        stranger = accounts.create(session, name="Stranger")
        test = Scope(account.id, live_mode=False)
        live = Scope(account.id, live_mode=True)

        def make(scope: Scope, reference_id: str) -> str:
            data = LocationCreate(reference_id=reference_id, postal_address=address)
            return locations.create(session, scope=scope, data=data).id

        oldest = make(test, "home")
        make(test, "home")
        in_live = make(live, "cabin")
        make(Scope(stranger.id, live_mode=False), "shed")

        found = locations.get_by_reference_id(session, scope=test, reference_id="home")
        assert found is not None and found.id == oldest
        found = locations.get_by_reference_id(session, scope=live, reference_id="cabin")
        assert found is not None and found.id == in_live
        assert locations.get_by_reference_id(session, scope=live, reference_id="home") is None
        assert locations.get_by_reference_id(session, scope=test, reference_id="cabin") is None
        assert locations.get_by_reference_id(session, scope=test, reference_id="shed") is None


def test_the_demo_is_made_once_and_every_start_links_its_one_location(fresh_settings, capsys):
    with open_database(fresh_settings) as db:
        demo.greet(db, fresh_settings)
        first = capsys.readouterr().out
        demo.greet(db, fresh_settings)
        second = capsys.readouterr().out
        with db.transaction(write=False) as session:
            account = accounts.first(session, name=demo.DEMO_NAME)
            assert account is not None
            scope = Scope(account.id, live_mode=False)
            sessions = [
                connect_sessions.get_or_raise(session, scope=scope, session_id=match)
                for match in LINK.findall(first) + LINK.findall(second)
            ]
            location = locations.get_by_reference_id(
                session, scope=scope, reference_id=demo.DEMO_LOCATION
            )

    assert first.startswith("First run: created a demo account")
    assert f"  account id:   {account.id}\n" in first
    assert "First run" not in second
    assert len(sessions) == 2 and sessions[0].id != sessions[1].id
    assert location is not None and location.post_code == "SW1A 2AA"
    assert {s.location_id for s in sessions} == {location.id}


def test_no_demo_when_the_database_already_has_an_account(fresh_settings, capsys):
    with open_database(fresh_settings) as db:
        with db.transaction() as session:
            accounts.create(session, name="Acme")
        demo.greet(db, fresh_settings)
        with db.transaction(write=False) as session:
            assert accounts.first(session, name=demo.DEMO_NAME) is None
    assert capsys.readouterr().out == ""
