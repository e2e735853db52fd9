"""The hosted auth pages (/connect/auth/{provider_id}) of Sandbox Energy, through their forms:
each page's content, every way out, CSRF, the errors, and a German page."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select
from starlette.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.connect.web import csrf
from tariffconnect.integrations import bindings
from tariffconnect.integrations.models import AuthMetadata
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tests.connect.flow.flow import make_session, plain_provider, start, submit
from tests.connect.web import Page, csp, press, text_of

AUTH_PATH = f"/connect/auth/{SANDBOX_PROVIDER_ID}"
CONNECT_URL = "https://app.example.com/connect"
LOGIN = {"Username": "user_good", "Password": "pass_good"}
MISMATCH_TEXT = "This login page is not the one for the energy provider you chose."
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NOTICE = "Your login details are shared with Test to read your tariff from Sandbox Energy."


def chosen(client, tenant) -> str:
    """A session (its token) whose customer picked Sandbox Energy on the main front end."""
    token = make_session(client, tenant.test)
    assert start(client, token)["route"] == "provider_select"
    data = {"provider": {"id": SANDBOX_PROVIDER_ID}}
    answer = submit(client, token, "provider_select", data=data)
    assert answer["route"] == "session_redirect"
    target = urlsplit(answer["data"]["redirect_uri"])
    assert target.path == AUTH_PATH
    assert parse_qs(target.query) == {"fp_cot": [token]}
    return token


def login_page(client, token, **params) -> Page:
    response = client.get(AUTH_PATH, params={"fp_cot": token, **params})
    page = Page.of(response)
    assert page.status == 200, response.text
    return page


def answer(client, page: Page, label: str, **kwargs) -> Page:
    response = press(client, page, label, **kwargs)
    assert response.status_code == 200, response.text
    return Page.of(response)


def back_at(response, token: str, **query: str) -> dict[str, list[str]]:
    """The 303 back to the main front end; its query."""
    assert response.status_code == 303, response.text
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == CONNECT_URL
    found = parse_qs(target.query)
    assert found == {"fp_cot": [token], **{k: [v] for k, v in query.items()}}
    return found


def stored(database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuthMetadata)) or 0


def consents(database, auth_metadata_id: str) -> list[bool]:
    """Whether the credentials' consent was recorded ([] when they are not stored)."""
    with database.transaction() as session:
        found = session.get(AuthMetadata, auth_metadata_id)
        return [] if found is None else [found.consent_given_at is not None]


def test_the_login_page(client, tenant):
    token = chosen(client, tenant)
    client.cookies.clear()
    response = client.get(AUTH_PATH, params={"fp_cot": token})
    page = Page.of(response)
    assert page.status == 200
    assert page.h1 == ["Log in to Sandbox Energy"]
    assert page.route == "auth_metadata_capture"
    assert page.labels == {"login": "Username", "password": "Password"}
    assert [c["type"] for c in page.forms[0].inputs] == ["text", "password"]
    assert page.button_labels() == ["Connect", "Set my tariff manually"]
    text = text_of(page.html)
    assert "Enter the login you use for your account with Sandbox Energy." in text
    assert NOTICE in text
    assert "Please wait, this can take up to a minute." in text
    assert "Test mode" in text
    assert '<html lang="en">' in page.html
    policy = csp(response)
    assert policy["default-src"] == "'none'"
    # The main front end's origin: the forms end in a 303 back to it.
    assert policy["form-action"] == "'self' https://app.example.com"
    assert "script-src" not in policy
    assert "<script" not in page.html
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{csrf.COOKIE_NAME}=")
    assert "Path=/connect/auth" in cookie and "HttpOnly" in cookie
    assert page.forms[0].action == f"{AUTH_PATH}?fp_cot={token}"


def test_user_good_logs_in_allows_and_goes_back_with_the_front_ends_query(client, tenant, database):
    token = chosen(client, tenant)
    page = login_page(client, token, app_user="42")
    assert page.forms[0].action == f"{AUTH_PATH}?fp_cot={token}&app_user=42"
    before = stored(database)
    page = answer(client, page, "Connect", fill=LOGIN)
    assert page.h1 == ["Allow access to your tariff"]
    assert page.route == "consent_capture"
    auth_metadata_id = page.forms[0].fields["auth_metadata_id"]
    assert auth_metadata_id.startswith("amd_")
    assert stored(database) == before + 1
    assert consents(database, auth_metadata_id) == [False]
    assert page.button_labels() == ["Allow", "Deny"]
    text = text_of(page.html)
    assert "Test will read your tariff from Sandbox Energy and keep it up to date." in text
    assert "pass_good" not in page.html
    back_at(press(client, page, "Allow"), token, app_user="42")
    assert consents(database, auth_metadata_id) == [True]
    summary = start(client, token)
    assert summary["route"] == "tariff_summary"
    assert summary["data"]["tariff"]["connection_type"] == "DIRECT"
    # The consent page sent again (the browser's back button): an error page, nothing changed.
    again = Page.of(press(client, page, "Allow"))
    assert again.status == 409
    assert again.h1 == ["Something went wrong"]
    assert "Reference: req_" in text_of(again.html)
    assert stored(database) == before + 1


def test_deny_on_the_consent_page_goes_to_the_manual_path(client, tenant):
    token = chosen(client, tenant)
    page = answer(client, login_page(client, token), "Connect", fill=LOGIN)
    back_at(press(client, page, "Deny"), token)
    assert start(client, token)["route"] == "tariff_structure_select"


def test_user_mfa_enters_the_code(client, tenant):
    token = chosen(client, tenant)
    fill = {"Username": "user_mfa", "Password": "pass_good"}
    page = answer(client, login_page(client, token), "Connect", fill=fill)
    assert page.h1 == ["Enter your code"]
    assert page.route == "mfa_capture"
    assert page.labels == {"otpCode": "Code"}
    assert "Sandbox Energy sent a code to +44 ••• ••• 789." in text_of(page.html)
    assert page.button_labels() == ["Continue", "Set my tariff manually"]
    page = answer(client, page, "Continue", fill={"Code": "123456"})
    assert page.route == "consent_capture"
    back_at(press(client, page, "Allow"), token)


def test_user_multi_picks_the_second_tariff(client, tenant):
    token = chosen(client, tenant)
    fill = {"Username": "user_multi", "Password": "pass_good"}
    page = answer(client, login_page(client, token), "Connect", fill=fill)
    assert page.h1 == ["Choose your tariff"]
    assert page.route == "multiple_available_tariffs"
    radios = [c for c in page.forms[0].inputs if c["type"] == "radio"]
    assert [r["value"] for r in radios] == ["sbx_1", "sbx_2", "sbx_3"]
    assert page.button_labels() == ["Continue", "My tariff is not listed"]
    second = page.labels[radios[1]["id"]]
    page = answer(client, page, "Continue", choose=second)
    assert page.route == "consent_capture"
    back_at(press(client, page, "Allow"), token)


def test_my_tariff_is_not_listed_goes_to_the_manual_path(client, tenant):
    token = chosen(client, tenant)
    fill = {"Username": "user_multi", "Password": "pass_good"}
    page = answer(client, login_page(client, token), "Connect", fill=fill)
    back_at(press(client, page, "My tariff is not listed"), token)


def test_user_none_offers_manual_or_another_provider(client, tenant):
    token = chosen(client, tenant)
    fill = {"Username": "user_none", "Password": "pass_good"}
    page = answer(client, login_page(client, token), "Connect", fill=fill)
    assert page.h1 == ["No tariff found"]
    assert page.route == "no_available_tariffs"
    assert page.button_labels() == ["Set my tariff manually", "Choose another provider"]
    back_at(press(client, page, "Choose another provider"), token)
    assert start(client, token)["route"] == "provider_select"


def test_a_wrong_password_fails_and_try_again_shows_the_login_again(client, tenant, database):
    token = chosen(client, tenant)
    fill = {"Username": "user_good", "Password": "wrong"}
    page = answer(client, login_page(client, token), "Connect", fill=fill)
    assert page.h1 == ["We could not log you in"]
    assert page.route == "failed_login"
    assert "The login or password is not right for Sandbox Energy." in text_of(page.html)
    assert page.button_labels() == ["Set my tariff manually"]
    assert f'<a class="button button-primary" href="{AUTH_PATH}?fp_cot={token}">' in page.html
    page = login_page(client, token)
    assert page.route == "auth_metadata_capture"
    page = answer(client, page, "Connect", fill=LOGIN)
    assert page.route == "consent_capture"


def test_set_my_tariff_manually_goes_back_without_storing(client, tenant, database):
    token = chosen(client, tenant)
    before = stored(database)
    back_at(press(client, login_page(client, token), "Set my tariff manually"), token)
    assert stored(database) == before


def test_a_post_without_the_csrf_field_is_refused_and_stores_nothing(client, tenant, database):
    token = chosen(client, tenant)
    page = login_page(client, token)
    before = stored(database)
    data = {**page.forms[0].fields, "login": "user_good", "password": "pass_good"}
    del data["csrf_token"]
    response = client.post(page.forms[0].action, data=data, follow_redirects=False)
    refused = Page.of(response)
    assert refused.status == 403
    assert refused.h1 == ["This form expired"]
    assert stored(database) == before
    # The page is still the login.
    assert login_page(client, token).route == "auth_metadata_capture"


def test_another_sessions_csrf_field_is_refused(client, tenant):
    token, other = chosen(client, tenant), chosen(client, tenant)
    page = login_page(client, token)
    data = {**page.forms[0].fields, "login": "user_good", "password": "pass_good"}
    data["csrf_token"] = login_page(client, other).forms[0].fields["csrf_token"]
    response = client.post(page.forms[0].action, data=data, follow_redirects=False)
    assert response.status_code == 403


def test_the_german_page(client, tenant):
    token = chosen(client, tenant)
    response = client.get(AUTH_PATH, params={"fp_cot": token}, headers={"Accept-Language": "de"})
    page = Page.of(response)
    assert page.status == 200
    assert '<html lang="de">' in page.html
    assert response.headers["content-language"] == "de"
    assert "\u2013 Tarif verbinden</title>" in page.html
    page = login_page(client, token, lang="de")
    assert '<html lang="de">' in page.html
    assert page.forms[0].action == f"{AUTH_PATH}?fp_cot={token}&lang=de"


def test_another_providers_path_is_refused(client, tenant):
    token = chosen(client, tenant)
    response = client.get(f"/connect/auth/{plain_provider()}", params={"fp_cot": token})
    page = Page.of(response)
    assert page.status == 409
    assert page.h1 == ["Something went wrong"]
    assert "This login page is not the one for the energy provider you chose." in text_of(page.html)


def test_a_session_without_a_direct_provider_is_an_error_page_with_the_request_id(client, tenant):
    token = make_session(client, tenant.test)
    response = client.get(AUTH_PATH, params={"fp_cot": token})
    page = Page.of(response)
    assert page.status == 409
    assert page.h1 == ["Something went wrong"]
    assert "Reference: req_" in text_of(page.html)
    assert "Start again" in text_of(page.html)


def test_an_unknown_token_is_not_found(client):
    response = client.get(AUTH_PATH, params={"fp_cot": "cot_" + "0" * 24})
    page = Page.of(response)
    assert page.status == 404
    assert page.h1 == ["This link is not valid"]


def test_the_stylesheet_has_the_wait_panel(client):
    response = client.get("/connect/auth/static/auth.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert "@keyframes auth-countdown" in response.text
    assert ".auth-form:valid:has(.auth-submit:focus) .auth-wait" in response.text


def test_the_apps_privacy_and_terms_links(database, settings, tenant):
    linked = settings.model_copy(
        update={
            "connect_privacy_url": "https://app.example.com/privacy",
            "connect_terms_url": "https://app.example.com/terms",
        }
    )
    with TestClient(create_app(linked, database=database)) as client:
        page = login_page(client, chosen(client, tenant))
    link = '<a href="https://app.example.com/{}" rel="noopener noreferrer" target="_blank">{}</a>'
    privacy, terms = link.format("privacy", "Privacy policy"), link.format("terms", "Terms of use")
    assert f"{NOTICE} Read more: {privacy}, {terms}.</p>" in page.html


def test_a_wrong_code_fails_the_login(client, tenant):
    token = chosen(client, tenant)
    fill = {"Username": "user_mfa", "Password": "pass_good"}
    page = answer(client, login_page(client, token), "Connect", fill=fill)
    page = answer(client, page, "Continue", fill={"Code": "000000"})
    assert page.route == "failed_login"
    assert page.h1 == ["We could not log you in"]


def test_an_unreachable_provider_goes_back_to_the_failed_connection(client, tenant):
    token = chosen(client, tenant)
    fill = {"Username": "user_down", "Password": "pass_good"}
    page = answer(client, login_page(client, token), "Connect", fill=fill)
    assert page.route == "consent_capture"
    back_at(press(client, page, "Allow"), token)
    assert start(client, token)["route"] == "tariff_connection_failed"


def test_a_session_now_at_a_module_is_refused_before_anything_is_stored(client, tenant, database):
    """The hosted pages drive our adapter only: once the provider is bound to a module (a
    binding wins), a form of the hosted login page sends nothing to the flow."""
    token = chosen(client, tenant)
    page = login_page(client, token)
    before = stored(database)
    with database.transaction() as session:
        bindings.bind(
            session, provider_id=SANDBOX_PROVIDER_ID, url="https://module.example.com", now=NOW
        )
    try:
        refused = Page.of(press(client, page, "Connect", fill=LOGIN))
        assert refused.status == 409
        assert MISMATCH_TEXT in text_of(refused.html)
        assert stored(database) == before
        shown = Page.of(client.get(AUTH_PATH, params={"fp_cot": token}))
        assert shown.status == 409
        assert MISMATCH_TEXT in text_of(shown.html)
    finally:
        with database.transaction() as session:
            bindings.clear(session, provider_id=SANDBOX_PROVIDER_ID)
    # The session did not move on: unbound again, the login page is where it was.
    assert login_page(client, token).route == "auth_metadata_capture"
    assert stored(database) == before


def test_a_long_front_end_parameter_is_cut_to_what_the_flow_takes(client, tenant):
    token = chosen(client, tenant)
    key = "k" * 300
    page = login_page(client, token, **{key: "v" * 300})
    assert page.route == "auth_metadata_capture"
    assert f"{key}={'v' * 212}" in page.forms[0].action


def test_a_login_posted_to_another_providers_path_is_refused_and_stores_nothing(
    client, tenant, database
):
    token = chosen(client, tenant)
    page = login_page(client, token)
    before = stored(database)
    data = {**page.forms[0].fields, "login": "user_good", "password": "pass_good"}
    response = client.post(
        f"/connect/auth/{plain_provider()}",
        params={"fp_cot": token},
        data=data,
        follow_redirects=False,
    )
    refused = Page.of(response)
    assert refused.status == 409
    assert MISMATCH_TEXT in text_of(refused.html)
    assert stored(database) == before
    assert login_page(client, token).route == "auth_metadata_capture"
