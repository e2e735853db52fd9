"""The hosted pages after a DIRECT login at Sandbox Energy: `tariff_connection_pending` and
`tariff_connection_failed`, their exact content, every button, CSRF, and German."""

from __future__ import annotations

from typing import Any

import pytest

from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tests.connect.flow.flow import make_location, make_session, post, start, submit
from tests.connect.web import CALLBACK, LONDON, Page, follow, press, show, text_of
from tests.locations.support import NOT_CONNECTED

AUTH_PATH = f"/connect/auth/{SANDBOX_PROVIDER_ID}"
PENDING = NOT_CONNECTED | {"commodity_import": "PENDING"}
CAPTION = (
    '<p class="caption provider-caption"><img class="logo" '
    f'src="/providers/{SANDBOX_PROVIDER_ID}/logo.svg" alt="" width="32" height="32">'
    "<span>Sandbox Energy</span></p>"
)


def module(client: Any, token: str, route: str, data: dict[str, Any] | None = None) -> Any:
    """A request as the auth module sends it (server to server, no Content-Type)."""
    body: dict[str, Any] = {"connect_token": token, "route": route}
    if data is not None:
        body |= {"type": "submit", "data": data}
    response = post(client, body)
    assert response.status_code == 200, response.text
    return response.json()


def logged_in(client: Any, tenant: Any, login: str) -> tuple[str, str]:
    """A session (its token) and its location whose customer logged in to Sandbox Energy as
    `login` and allowed access, as the auth module does it; the customer is back."""
    location_id = make_location(client, tenant.test, LONDON)
    token = make_session(client, tenant.test, location_id=location_id, callback_url=CALLBACK)
    assert start(client, token)["route"] == "provider_select"
    chosen = {"provider": {"id": SANDBOX_PROVIDER_ID}}
    assert submit(client, token, "provider_select", data=chosen)["route"] == "session_redirect"
    assert module(client, token, "start_tariff_integration")["route"] == "auth_metadata_capture"
    login_data = {"login": login, "password": "pass_good"}
    consent = module(client, token, "auth_metadata_capture", login_data)
    assert consent["route"] == "consent_capture"
    allowed = {"auth_metadata_id": consent["data"]["auth_metadata_id"], "consent_given": True}
    assert module(client, token, "consent_capture", allowed)["route"] == "session_redirect"
    return token, location_id


def tariff_status(client: Any, tenant: Any, location_id: str) -> dict[str, str]:
    response = client.get(f"/locations/{location_id}", headers=tenant.test)
    assert response.status_code == 200, response.text
    status: dict[str, str] = response.json()["tariff_status"]
    return status


def main_text(page: Page) -> str:
    """The words of the page's main region."""
    return text_of(page.html.split('<main class="main" id="main">')[1].split("</main>")[0])


def test_the_pending_page(client, tenant):
    token, location_id = logged_in(client, tenant, "user_pending")
    page = show(client, token)
    assert page.status == 200
    assert page.route == "tariff_connection_pending"
    assert '<html lang="en">' in page.html
    assert "<title>Connecting your tariff \u2013 Connect your tariff</title>" in page.html
    assert page.h1 == ["Connecting your tariff"]
    assert CAPTION in page.html
    assert main_text(page) == (
        "Sandbox Energy Connecting your tariff "
        "We are reading your tariff from Sandbox Energy. This can take a while. "
        "Save now and we will let the app know as soon as your tariff is in. "
        "Save Set my tariff manually Disconnect"
    )
    assert page.button_labels() == ["Close", "Save", "Set my tariff manually", "Disconnect"]
    assert [(b.name, b.value) for f in page.forms for b in f.buttons] == [
        ("action", "CLOSE"),
        ("action", "SAVE"),
        ("action", "DISMISS_DIRECT"),
        ("action", "DISCONNECT"),
    ]
    for form in page.forms:
        assert form.action == f"/connect/web?fp_cot={token}"
        assert form.method == "post"
        assert set(form.fields) == {"route", "csrf_token"}
    assert tariff_status(client, tenant, location_id) == PENDING


@pytest.mark.parametrize(
    ("login", "label", "status_after"),
    [
        ("user_pending", "Save", PENDING),  # the tariff arrives with a later pull
        ("user_pending", "Close", PENDING),
        ("user_pending", "Disconnect", NOT_CONNECTED),
        ("user_down", "Disconnect", NOT_CONNECTED),
    ],
)
def test_buttons_that_go_to_the_callback(client, tenant, login, label, status_after):
    token, location_id = logged_in(client, tenant, login)
    done = press(client, show(client, token), label)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{CALLBACK}?fp_cot={token}"
    assert tariff_status(client, tenant, location_id) == status_after


def test_set_my_tariff_manually_leaves_the_direct_path(client, tenant):
    token, location_id = logged_in(client, tenant, "user_pending")
    page = follow(client, press(client, show(client, token), "Set my tariff manually"))
    assert page.status == 200
    assert page.route == "tariff_structure_select"
    assert tariff_status(client, tenant, location_id) == NOT_CONNECTED


def test_the_failed_page(client, tenant):
    token, _ = logged_in(client, tenant, "user_down")
    page = show(client, token)
    assert page.status == 200
    assert page.route == "tariff_connection_failed"
    title = "We could not read your tariff from Sandbox Energy"
    assert f"<title>{title} \u2013 Connect your tariff</title>" in page.html
    assert page.h1 == [title]
    assert CAPTION in page.html
    assert main_text(page) == (
        f"Sandbox Energy {title} "
        "Try again, or choose another provider to connect your tariff another way. "
        "Try again Choose another provider Disconnect"
    )
    assert page.button_labels() == [
        "Back",
        "Close",
        "Try again",
        "Choose another provider",
        "Disconnect",
    ]
    assert [b.value for f in page.forms for b in f.buttons] == [
        "BACK",
        "CLOSE",
        "RECONNECT",
        "EDIT",
        "DISCONNECT",
    ]


def test_try_again_goes_to_the_login_page(client, tenant):
    token, _ = logged_in(client, tenant, "user_down")
    again = press(client, show(client, token), "Try again")
    assert again.status_code == 303, again.text
    assert again.headers["location"] == f"{AUTH_PATH}?fp_cot={token}"
    login = client.get(again.headers["location"])
    assert login.status_code == 200
    assert Page.of(login).h1 == ["Log in to Sandbox Energy"]


def test_choose_another_provider_goes_to_the_provider_list(client, tenant):
    token, location_id = logged_in(client, tenant, "user_down")
    page = follow(client, press(client, show(client, token), "Choose another provider"))
    assert page.route == "provider_select"
    assert tariff_status(client, tenant, location_id) == NOT_CONNECTED


def test_a_post_without_the_csrf_field_is_refused_and_changes_nothing(client, tenant):
    token, location_id = logged_in(client, tenant, "user_pending")
    form = {"route": "tariff_connection_pending", "action": "DISCONNECT"}
    refused = client.post(f"/connect/web?fp_cot={token}", data=form, follow_redirects=False)
    assert refused.status_code == 403
    assert "This form expired. Reload the page." in refused.text
    assert show(client, token).route == "tariff_connection_pending"
    assert tariff_status(client, tenant, location_id) == PENDING


def test_the_german_pages(client, tenant):
    token, _ = logged_in(client, tenant, "user_pending")
    page = show(client, token, lang="de")
    assert '<html lang="de">' in page.html
    assert page.h1 == ["Ihr Tarif wird verbunden"]
    assert main_text(page) == (
        "Sandbox Energy Ihr Tarif wird verbunden "
        "Wir lesen Ihren Tarif bei Sandbox Energy aus. Das kann eine Weile dauern. "
        "Speichern Sie jetzt, und wir geben der App Bescheid, sobald Ihr Tarif da ist. "
        "Speichern Tarif selbst eingeben Trennen"
    )
    assert page.forms[1].action == f"/connect/web?fp_cot={token}&lang=de"
    token, _ = logged_in(client, tenant, "user_down")
    page = show(client, token, lang="de")
    assert page.h1 == ["Wir konnten Ihren Tarif bei Sandbox Energy nicht auslesen"]
    assert page.button_labels() == [
        "Zurück",
        "Schließen",
        "Erneut versuchen",
        "Anderen Anbieter wählen",
        "Trennen",
    ]
