"""GET /connect/web: the current step, its headers, its language, and the error pages."""

import re
from datetime import timedelta

from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.connect.models import ConnectSession
from tariffconnect.core.timeutil import utcnow
from tests.connect.web import LONDON, Page, create_session, csp, follow, press, show

BERLIN = {
    "address_line1": "Unter den Linden 1",
    "city": "Berlin",
    "post_code": "10117",
    "country_code": "DE",
}


def test_get_renders_the_current_step_with_the_security_headers(client, tenant):
    token = create_session(client, tenant)
    client.cookies.clear()  # a first visit: the page sets the CSRF cookie
    response = client.get("/connect/web", params={"fp_cot": token})
    page = Page.of(response)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert page.route == "postal_address_capture"
    assert '<html lang="en">' in response.text
    assert page.h1 == ["Your address"]
    policy = csp(response)
    assert policy["default-src"] == "'none'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self' myapp:"
    assert policy["frame-ancestors"] == "'none'"
    assert "script-src" not in policy  # no script at all
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-language"] == "en"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tc_connect_csrf=")
    assert "HttpOnly" in cookie
    assert "Path=/connect/web" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http (the test client)


def test_every_control_has_a_label_and_the_page_one_h1(client, tenant):
    token = create_session(client, tenant)
    page = show(client, token)
    controls = [c for form in page.forms for c in form.inputs]
    assert [c["name"] for c in controls] == [
        "address_line1",
        "address_line2",
        "city",
        "state",
        "post_code",
        "country_code",
    ]
    for control in controls:
        assert page.labels.get(control["id"]), control
    assert page.html.count("<h1") == 1
    assert page.labels["address_line2"] == "Address line 2 (optional)"
    assert 'autocomplete="postal-code"' in page.html
    assert page.forms[-1].fields["city"] == "London"
    assert page.forms[-1].fields["country_code"] == "GB"
    # Buttons are buttons, and the main form's first one is Continue (what Enter presses).
    assert page.button_labels() == ["Back", "Close", "Continue"]
    assert "<button" in page.html and '<a class="button' not in page.html


def test_the_stylesheet_is_served_from_this_service(client, tenant):
    token = create_session(client, tenant)
    page = show(client, token)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)">', page.html).group(1)
    assert href.startswith("/connect/web/static/connect.css?v=")
    css = client.get(href)
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.headers["x-content-type-options"] == "nosniff"
    assert ".error-summary" in css.text
    assert "http" not in css.text  # nothing external


def test_provider_logos_come_from_this_service(client, tenant):
    token = create_session(client, tenant, address=LONDON)
    page = show(client, token)
    assert page.route == "provider_select"
    logos = re.findall(r'<img class="logo" src="([^"]+)" alt=""', page.html)
    assert logos
    assert all(re.fullmatch(r"/providers/prv_[0-9a-f]{24}/logo\.svg", src) for src in logos)
    assert client.get(logos[0]).status_code == 200


def test_an_unknown_token_is_a_404_page(client):
    for token in ("cot_" + "0" * 24, "nonsense", ""):
        response = client.get("/connect/web", params={"fp_cot": token})
        assert response.status_code == 404
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        page = Page.of(response)
        assert page.h1 == ["This link is not valid"]
        assert "Go back to the app and start again." in response.text
        assert response.headers["cache-control"] == "no-store"
        assert csp(response)["default-src"] == "'none'"
    assert client.get("/connect/web").status_code == 404


def test_an_expired_token_is_a_410_page(client, database, tenant):
    token = create_session(client, tenant)
    with database.transaction() as session:
        session.get(ConnectSession, token).time_expiry = utcnow() - timedelta(minutes=1)
    response = client.get("/connect/web", params={"fp_cot": token})
    assert response.status_code == 410
    assert Page.of(response).h1 == ["This link has expired"]


def test_a_database_outage_is_a_503_page_for_a_get_and_a_post(client, app, tenant, monkeypatch):
    token = create_session(client, tenant)
    page = show(client, token)

    def down(*, write=True):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(app.state.runtime.db, "transaction", down)
    for response in (
        client.get("/connect/web", params={"fp_cot": token}),
        press(client, page, "Continue"),
    ):
        assert response.status_code == 503
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert Page.of(response).h1 == ["Something went wrong"]
        assert "Something went wrong on our side. Try again in a moment." in response.text
        assert "connection refused" not in response.text
        assert csp(response)["default-src"] == "'none'"


def test_german_from_accept_language(client, tenant):
    token = create_session(client, tenant)
    headers = {"Accept-Language": "pt-BR, de-CH;q=0.9, en;q=0.5"}
    response = client.get("/connect/web", params={"fp_cot": token}, headers=headers)
    page = Page.of(response)
    assert '<html lang="de">' in response.text
    assert response.headers["content-language"] == "de"
    assert page.h1 == ["Ihre Adresse"]
    assert page.button_labels() == ["Zurück", "Schließen", "Weiter"]
    assert page.labels["address_line2"] == "Adresszusatz (optional)"
    assert "<title>Ihre Adresse \u2013 Tarif verbinden</title>" in response.text
    assert '<option value="DE">Deutschland</option>' in response.text
    # The form posts back without a lang parameter: the header decides again.
    assert page.forms[-1].action == f"/connect/web?fp_cot={token}"


def test_lang_parameter_overrides_and_is_carried_on(client, tenant):
    token = create_session(client, tenant)
    headers = {"Accept-Language": "de-DE"}
    response = client.get("/connect/web", params={"fp_cot": token, "lang": "en"}, headers=headers)
    page = Page.of(response)
    assert page.h1 == ["Your address"]
    assert page.forms[-1].action == f"/connect/web?fp_cot={token}&lang=en"
    fill = {"Address line 1": "1 High Street", "Postcode": "SW1A 1AA"}
    answer = press(client, page, "Continue", fill=fill, headers=headers)
    assert answer.headers["location"] == f"/connect/web?fp_cot={token}&lang=en"
    assert follow(client, answer).h1 == ["Choose your energy provider"]


def test_market_surcharges_in_cents_and_german_numbers(client, tenant):
    """A German location (EUR): rates in ct/kWh with a decimal comma, converted for the
    machine and shown back the same way."""
    token = create_session(client, tenant, address=BERLIN)
    headers = {"Accept-Language": "de-DE,de;q=0.9"}

    def get():
        return Page.of(client.get("/connect/web", params={"fp_cot": token}, headers=headers))

    page = get()
    assert page.route == "provider_select"
    provider = next(label for label in page.labels.values() if label)
    page = follow_de(client, press(client, page, "Weiter", choose=provider, headers=headers))
    if page.route == "tariff_select":
        page = follow_de(client, press(client, page, "Mein Tarif ist nicht aufgeführt"))
    assert page.route == "tariff_structure_select"
    page = follow_de(client, press(client, page, "Weiter", choose="Marktpreis", headers=headers))
    assert page.route == "surcharge_capture"
    assert page.labels["surcharge_fixed"] == "Fester Aufschlag (ct/kWh) (optional)"
    assert page.labels["surcharge_percentage"] == "Prozentualer Aufschlag (%) (optional)"
    fill = {"Fester Aufschlag": "1,5", "Prozentualer Aufschlag": "5"}
    page = follow_de(client, press(client, page, "Weiter", fill=fill, headers=headers))
    assert page.route == "tariff_name_capture"
    # Back on the surcharge page, the machine's 0.015 EUR shows as 1,5 ct again.
    page = follow_de(client, press(client, page, "Zurück", headers=headers))
    assert page.route == "surcharge_capture"
    assert page.forms[-1].fields["surcharge_fixed"] == "1,5"
    assert page.forms[-1].fields["surcharge_percentage"] == "5"


def follow_de(client, response):
    assert response.status_code == 303, response.text[:1500]
    headers = {"Accept-Language": "de-DE,de;q=0.9"}
    return Page.of(client.get(response.headers["location"], headers=headers))


def test_frame_ancestors_and_secure_cookie_when_framed_over_https(database, settings, tenant):
    framed = settings.model_copy(update={"connect_web_frame_ancestors": "https://app.example.com"})
    app = create_app(framed, database=database)
    with TestClient(app, base_url="https://testserver") as https:
        token = create_session(https, tenant)
        response = https.get("/connect/web", params={"fp_cot": token})
    assert response.status_code == 200
    assert csp(response)["frame-ancestors"] == "https://app.example.com"
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie
    assert "SameSite=none" in cookie


def test_the_pages_are_not_in_the_api_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(path.startswith("/connect/web") for path in paths)


def test_the_demo_callback_page_shows_the_token_in_the_chosen_language(client, tenant):
    token = create_session(client, tenant)
    response = client.get(f"/connect/web/done?fp_cot={token}", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert '<html lang="de"' in response.text
    assert "Sie sind zurück in der App" in response.text
    assert f"<code>{token}</code>" in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    other = client.get("/connect/web/done?fp_cot=<script>")
    assert other.status_code == 200
    assert "<script>" not in other.text
