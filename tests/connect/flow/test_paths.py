"""The four ways through Connect, end to end through the JSON API: FIXED, TIME_OF_DAY,
LIBRARY and MARKET."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tariffconnect.connect.flow import summary
from tariffconnect.events.models import Event
from tariffconnect.locations.models import Location
from tariffconnect.market import sources as market
from tariffconnect.tariffs import library
from tests.connect.flow.flow import (
    CALLBACK,
    EON_NEXT,
    make_session,
    plain_provider,
    start,
    submit,
)

NEXT_YEAR = datetime.now(UTC).year + 1


def to_structure(client, token, provider_id):
    page = start(client, token)
    assert page["route"] == "provider_select"
    assert page["actions"] == ["PROVIDER_MISSING", "ADDRESS_CHANGE", "BACK", "CLOSE"]
    ids = [p["id"] for p in page["data"]["providers"]]
    assert provider_id in ids
    page = submit(client, token, "provider_select", data={"provider": {"id": provider_id}})
    assert page["route"] == "tariff_structure_select"
    assert page["data"]["options"] == ["FIXED", "TIME_OF_DAY", "MARKET"]
    return page


def finish(client, token, name, *, end_date=None):
    page = submit(client, token, "tariff_name_capture", data={"tariff": {"name": name}})
    assert page["route"] == "contract_term_capture"
    assert page["data"]["contract_end_date"] is None
    data = None if end_date is None else {"contract_end_date": end_date}
    summary = submit(client, token, "contract_term_capture", data=data)
    assert summary["route"] == "tariff_summary"
    assert summary["actions"] == ["EDIT", "WRONG_TARIFF", "DISCONNECT", "BACK", "CLOSE"]
    return summary


def leave(client, token):
    answer = submit(client, token, "tariff_summary", action="CLOSE")
    assert answer["route"] == "session_redirect"
    expected = f"{CALLBACK}&fp_cot={token}"
    assert answer["data"] == {"redirect_url": expected, "redirect_uri": expected}
    return answer


def session_and_tariff(client, tenant, token):
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    tariffs = client.get(
        "/tariffs", params={"location_id": session["location_id"]}, headers=tenant.test
    ).json()["data"]
    return session, tariffs


def test_fixed_rate_path(client, tenant):
    token = make_session(client, tenant.test)
    provider = plain_provider()
    to_structure(client, token, provider)
    page = submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    assert page["route"] == "rate_fixed_capture"
    assert page["data"]["currency_code"] == "GBP"
    assert page["data"]["cost"] == 0
    page = submit(client, token, "rate_fixed_capture", data={"cost": 0.2455})
    assert page["route"] == "tariff_name_capture"
    summary = finish(client, token, "  My   fixed  tariff ", end_date=f"{NEXT_YEAR}-06-30")
    data = summary["data"]
    assert data["tariff"]["name"] == "My fixed tariff"
    assert data["tariff"]["structure_type"] == "FIXED"
    assert data["tariff"]["contract_end_date"] == f"{NEXT_YEAR}-06-30T00:00:00Z"
    assert data["tariff"]["tiered"] is False
    assert data["provider"]["id"] == provider
    assert data["currency_code"] == "GBP"
    assert data["market_rates_source"] is False
    assert [e["tariff"] for e in data["rates"]["today"]] == [{"confidence": 1.0, "cost": 0.2455}]
    assert len(data["rates"]["yesterday"]) == 1 and len(data["rates"]["tomorrow"]) == 1

    session, tariffs = session_and_tariff(client, tenant, token)
    assert (session["status"], session["data_available"]) == ("COMPLETED", True)
    assert session["provider_id"] == provider
    assert len(tariffs) == 1
    tariff = tariffs[0]
    assert tariff["connection_type"] == "MANUAL"
    assert tariff["status"] == "CONNECTED"
    assert tariff["schedule"][0]["days_and_hours"][0]["hours"] == [
        {
            "valid_from": "00:00:00",
            "valid_to": "00:00:00",
            "rate": [
                {
                    "fixed": 0.2455,
                    "to_kwh": None,
                    "surcharge_fixed": None,
                    "surcharge_percentage": None,
                }
            ],
        }
    ]
    leave(client, token)


def test_time_of_day_path_and_its_events(client, database, tenant):
    token = make_session(client, tenant.test)
    to_structure(client, token, plain_provider())
    # The choice may come as an action too (busbar's encoding).
    page = submit(client, token, "tariff_structure_select", action="TIME_OF_DAY")
    assert page["route"] == "rate_tod_capture"
    assert page["data"]["hours"] == [
        {"cost": 0, "valid_from": "07:00:00", "valid_to": "23:00:00"},
        {"cost": 0, "valid_from": "23:00:00", "valid_to": "07:00:00"},
    ]
    hours = [
        {"valid_from": "23:30:00", "valid_to": "05:30:00", "cost": 0.085},
        {"valid_from": "05:30:00", "valid_to": "23:30", "cost": 0.2934},
    ]
    page = submit(client, token, "rate_tod_capture", data={"hours": hours})
    assert page["route"] == "tariff_name_capture"
    summary = finish(client, token, "Night saver")
    assert summary["data"]["tariff"]["structure_type"] == "TIME_OF_DAY"
    assert summary["data"]["tariff"]["contract_end_date"] is None
    today = summary["data"]["rates"]["today"]
    assert [e["tariff"]["cost"] for e in today] == [0.085, 0.2934, 0.085]
    assert today[0]["valid_to"].startswith(today[0]["valid_from"][:11] + "05:30:00")

    session, tariffs = session_and_tariff(client, tenant, token)
    assert session["status"] == "COMPLETED"
    stored = tariffs[0]["schedule"][0]["days_and_hours"][0]["hours"]
    assert [(h["valid_from"], h["valid_to"], h["rate"][0]["fixed"]) for h in stored] == [
        ("05:30:00", "23:30:00", 0.2934),
        ("23:30:00", "05:30:00", 0.085),
    ]
    with database.transaction(write=False) as db:
        kinds = {
            e.type: e.object_id
            for e in db.scalars(select(Event).where(Event.account_id == tenant.account_id))
        }
    assert kinds["connect_session.complete"] == token
    assert kinds["location.update"] == session["location_id"]
    assert kinds["tariff.create"] == tariffs[0]["id"]


def test_library_path(client, tenant):
    token = make_session(client, tenant.test)
    page = start(client, token)
    page = submit(client, token, "provider_select", data={"provider": {"id": EON_NEXT}})
    assert page["route"] == "tariff_select"
    assert page["actions"] == ["TARIFF_MISSING", "ADDRESS_CHANGE", "BACK", "CLOSE"]
    offered = [
        t
        for t in library.search(provider_id=EON_NEXT, country_code="GB")
        if (t.tariff_direction, t.tariff_type) == ("IMPORT", "COMMODITY")
    ]
    assert [t["id"] for t in page["data"]["tariffs"]] == [t.id for t in offered]
    chosen = offered[0]
    for not_an_id in ([chosen.id], {"id": chosen.id}):  # JSON that is no id: a 400, not a 500
        answer = submit(
            client, token, "tariff_select", data={"tariff": {"id": not_an_id}}, status=400
        )
        assert answer["code"] == "tariff_id_invalid"
    page = submit(client, token, "tariff_select", data={"tariff": {"id": chosen.id}})
    assert page["route"] == "contract_term_capture"
    summary = submit(client, token, "contract_term_capture")
    assert summary["route"] == "tariff_summary"
    assert summary["data"]["tariff"]["name"] == chosen.display_name
    session, tariffs = session_and_tariff(client, tenant, token)
    assert (session["status"], session["provider_id"]) == ("COMPLETED", EON_NEXT)
    assert tariffs[0]["connection_type"] == "LIBRARY"
    assert tariffs[0]["display_name"] == chosen.display_name
    assert tariffs[0]["schedule"] == [e.model_dump(mode="json") for e in chosen.schedule]
    leave(client, token)


def test_market_path_with_the_region_taken_from_the_post_code(client, tenant):
    token = make_session(client, tenant.test)
    to_structure(client, token, plain_provider())
    page = submit(client, token, "tariff_structure_select", data={"options": ["MARKET"]})
    # SW1A is in London's region: no need to ask.
    assert page["route"] == "surcharge_capture"
    assert page["data"]["surcharge"] == {"fixed": 0, "percentage": 0}
    assert page["data"]["region"] == "London"
    page = submit(
        client, token, "surcharge_capture", data={"surcharge": {"fixed": 0.12, "percentage": 5}}
    )
    summary = finish(client, token, "Agile-like")
    assert summary["data"]["tariff"]["structure_type"] == "MARKET"
    assert summary["data"]["market_rates_source"] is True
    # No market prices are stored for the region yet: the summary says so with empty days.
    assert summary["data"]["rates"] == {"yesterday": [], "today": [], "tomorrow": []}
    _, tariffs = session_and_tariff(client, tenant, token)
    tariff = tariffs[0]
    assert tariff["connection_type"] == "MARKET"
    assert tariff["market_rates"] is True
    assert tariff["market_source_id"] == market.source_for("GB", "London").id
    rate = tariff["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]
    assert (rate["surcharge_fixed"], rate["surcharge_percentage"]) == (0.12, 0.05)


def test_market_path_asks_the_region_when_the_address_does_not_tell(client, tenant):
    # Italy has seven bidding zones; a post code that names no province cannot tell which.
    milan = {
        "address_line1": "Via Dante 1",
        "city": "Milano",
        "post_code": "centro",
        "country_code": "IT",
    }
    token = make_session(client, tenant.test, milan)
    provider = plain_provider("IT")
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": provider}})
    page = submit(client, token, "tariff_structure_select", data={"options": ["MARKET"]})
    assert page["route"] == "region_select"
    assert page["data"]["regions"] == market.regions("IT")
    assert page["data"]["region"] is None
    region = market.regions("IT")[0]
    page = submit(client, token, "region_select", data={"region": region})
    assert page["route"] == "surcharge_capture"
    assert page["data"]["currency_code"] == "EUR"
    assert page["data"]["region"] == region
    submit(client, token, "surcharge_capture", data={"surcharge": {"fixed": 0, "percentage": 0}})
    finish(client, token, "Prezzo orario")
    _, tariffs = session_and_tariff(client, tenant, token)
    assert tariffs[0]["market_source_id"] == market.source_for("IT", region).id


@pytest.mark.parametrize("alias", ["FIXEDRATE", "TIMEOFUSE"])
def test_earliest_structure_names_are_accepted(client, tenant, alias):
    token = make_session(client, tenant.test)
    to_structure(client, token, plain_provider())
    page = submit(client, token, "tariff_structure_select", data={"options": [alias]})
    expected = {"FIXEDRATE": "rate_fixed_capture", "TIMEOFUSE": "rate_tod_capture"}[alias]
    assert page["route"] == expected


def test_contract_end_date_in_the_reference_front_ends_format(client, tenant):
    """The reference front end posts a JavaScript Date: milliseconds and a Z."""
    token = make_session(client, tenant.test)
    to_structure(client, token, plain_provider())
    submit(client, token, "tariff_structure_select", action="FIXED")
    submit(client, token, "rate_fixed_capture", data={"cost": "0,30"})
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Fixed"}})
    end = (datetime.now(UTC) + timedelta(days=40)).replace(microsecond=123000)
    stamp = end.strftime("%Y-%m-%dT%H:%M:%S.") + "123Z"
    summary = submit(client, token, "contract_term_capture", data={"contract_end_date": stamp})
    assert summary["data"]["tariff"]["contract_end_date"] == end.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_summary_days_are_local_days_with_their_own_offsets(client, database, tenant):
    """On the day the clocks go forward, today runs 00:00 GMT to 00:00 BST: 23 hours."""
    token = make_session(client, tenant.test)
    to_structure(client, token, plain_provider())
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.25})
    finish(client, token, "Flat")
    location_id = client.get(f"/connect/{token}", headers=tenant.test).json()["location_id"]
    with database.transaction(write=False) as session:
        location = session.get(Location, location_id)
        now = datetime(2027, 3, 28, 12, 0, tzinfo=UTC)
        days = summary.rates(session, location=location, now=now)
    assert days == {
        "yesterday": [
            {
                "tariff": {"confidence": 1.0, "cost": 0.25},
                "valid_from": "2027-03-27T00:00:00+00:00",
                "valid_to": "2027-03-28T00:00:00+00:00",
            }
        ],
        "today": [
            {
                "tariff": {"confidence": 1.0, "cost": 0.25},
                "valid_from": "2027-03-28T00:00:00+00:00",
                "valid_to": "2027-03-29T00:00:00+01:00",
            }
        ],
        "tomorrow": [
            {
                "tariff": {"confidence": 1.0, "cost": 0.25},
                "valid_from": "2027-03-29T00:00:00+01:00",
                "valid_to": "2027-03-30T00:00:00+01:00",
            }
        ],
    }
