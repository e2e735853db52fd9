"""Posts to the hosted pages need the double-submit cookie and its HMAC field."""

from tariffconnect.connect.web import csrf
from tests.connect.web import Page, create_session, show

ADDRESS = {
    "address_line1": "1 High Street",
    "city": "London",
    "post_code": "SW1A 1AA",
    "country_code": "GB",
}


def post(client, token, data, **kwargs):
    return client.post(
        "/connect/web", params={"fp_cot": token}, data=data, follow_redirects=False, **kwargs
    )


def form_of(page: Page) -> dict[str, str]:
    return dict(page.forms[-1].fields) | ADDRESS


def assert_refused(client, token, response):
    assert response.status_code == 403
    page = Page.of(response)
    assert page.h1 == ["This form expired"]
    assert "This form expired. Reload the page." in response.text
    assert f'href="/connect/web?fp_cot={token}"' in response.text  # the reload link
    assert response.headers["cache-control"] == "no-store"
    # Nothing changed: the session is still on the address page.
    assert show(client, token).route == "postal_address_capture"


def test_a_post_without_the_field_is_refused(client, tenant):
    token = create_session(client, tenant)
    data = form_of(show(client, token))
    del data["csrf_token"]
    assert_refused(client, token, post(client, token, data))


def test_a_wrong_field_is_refused(client, tenant):
    token = create_session(client, tenant)
    data = form_of(show(client, token))
    data["csrf_token"] = "0" * 64
    assert_refused(client, token, post(client, token, data))


def test_another_sessions_field_is_refused(client, tenant):
    token, other = create_session(client, tenant), create_session(client, tenant)
    data = form_of(show(client, token))
    data["csrf_token"] = form_of(show(client, other))["csrf_token"]
    assert_refused(client, token, post(client, token, data))


def test_a_post_without_the_cookie_is_refused(client, tenant):
    token = create_session(client, tenant)
    data = form_of(show(client, token))
    client.cookies.clear()
    assert_refused(client, token, post(client, token, data))


def test_a_post_with_another_cookie_is_refused(client, tenant):
    token = create_session(client, tenant)
    data = form_of(show(client, token))
    client.cookies.clear()
    client.cookies.set(csrf.COOKIE_NAME, csrf.new_value(), path="/connect/web")
    assert_refused(client, token, post(client, token, data))


def test_the_right_cookie_and_field_pass(client, tenant):
    token = create_session(client, tenant)
    response = post(client, token, form_of(show(client, token)))
    assert response.status_code == 303
    assert show(client, token).route == "provider_select"


def test_the_field_is_the_hmac_of_cookie_and_token():
    secret, cookie, token = b"s3cret", csrf.new_value(), "cot_" + "1" * 24
    field = csrf.field_value(secret, cookie, token)
    assert len(field) == 64
    assert csrf.verify(secret, cookie, token, field)
    assert not csrf.verify(b"other", cookie, token, field)
    assert not csrf.verify(secret, cookie, "cot_" + "2" * 24, field)
    assert not csrf.verify(secret, csrf.new_value(), token, field)
    assert not csrf.verify(secret, None, token, field)
    assert not csrf.verify(secret, "short", token, csrf.field_value(secret, "short", token))
    assert not csrf.verify(secret, cookie, token, None)
    assert not csrf.verify(secret, cookie, token, field + "é")
