"""The flow API from a front end on another origin, in real Chromium, speaking exactly as
Flatpeak's reference front end does: no Content-Type, `type: "submit"`, the structure as
`data.options`, the contract date as a JavaScript Date, and `window.location.replace` to the
`session_redirect`'s `redirect_url`."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.test_hosted_flow import LONDON

pytestmark = pytest.mark.e2e


def test_a_cross_origin_front_end_completes_a_time_of_day_flow(phone, live):
    token = live.session(LONDON)
    origin = live.callback.split("/connected")[0]
    page = phone.page
    page.goto(f"{origin}/front-end")
    api = f"{live.base}/connect/flow"

    def submit(route, **extra):
        payload = {"route": route, "type": "submit", "connect_token": token, **extra}
        return page.evaluate("([api, p]) => window.submitAction(api, p)", [api, payload])

    reply = submit("session_start")
    assert reply["route"] == "provider_select"
    provider = next(
        p["id"] for p in reply["data"]["providers"] if p["display_name"] == "Good Energy"
    )
    assert submit("provider_select", data={"provider": {"id": provider}})["route"] == (
        "tariff_structure_select"
    )
    reply = submit("tariff_structure_select", data={"options": ["TIME_OF_DAY"]})
    assert reply["route"] == "rate_tod_capture"
    hours = [
        {"valid_from": "07:00:00", "valid_to": "23:00:00", "cost": 0.3},
        {"valid_from": "23:00:00", "valid_to": "07:00:00", "cost": 0.1},
    ]
    assert submit("rate_tod_capture", data={"hours": hours})["route"] == "tariff_name_capture"
    reply = submit("tariff_name_capture", data={"tariff": {"name": "Day & night"}})
    assert reply["route"] == "contract_term_capture"
    # ContractTermCapture posts {contract_end_date: <Date>}: JSON.stringify makes it ISO.
    reply = page.evaluate(
        """([api, token]) => window.submitAction(api, {route: "contract_term_capture",
             type: "submit", connect_token: token,
             data: {contract_end_date: new Date(Date.UTC(2031, 5, 30))}})""",
        [api, token],
    )
    assert reply["route"] == "tariff_summary"
    assert reply["data"]["tariff"]["contract_end_date"] == "2031-06-30T00:00:00Z"
    assert len(reply["data"]["rates"]["today"]) == 3
    # An error object is what the reference shows on its exception page.
    error = submit("tariff_summary", action="NOPE")
    assert (error["object"], error["code"]) == ("error", "action_invalid")
    assert error["request_id"].startswith("req_")
    reply = submit("tariff_summary", action="CLOSE")
    assert reply["route"] == "session_redirect"
    phone.shot("front-end")
    page.evaluate("(url) => window.location.replace(url)", reply["data"]["redirect_url"])
    page.wait_for_url(f"{origin}/connected?*")
    assert parse_qs(urlsplit(page.url).query) == {"app": ["demo"], "fp_cot": [token]}
    session = live.get(f"/connect/{token}")
    assert (session["status"], session["data_available"]) == ("COMPLETED", True)
