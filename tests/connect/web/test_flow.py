"""Whole flows through the hosted pages' forms, pressing buttons by their visible labels."""

from datetime import date, timedelta

from tariffconnect.connect.models import ConnectSession
from tariffconnect.core.timeutil import utcnow
from tests.connect.web import (
    CALLBACK,
    LONDON,
    Page,
    csp,
    follow,
    press,
    query_of,
    show,
    text_of,
)
from tests.connect.web import (
    create_session as new_session,
)

ADDRESS_FILL = {
    "Address line 1": "1 High Street",
    "Town or city": "London",
    "Postcode": "SW1A 1AA",
    "Country": "GB",
}


def to_structure_page(client, token):
    """From a fresh session to the tariff structure page (Good Energy has no library
    tariffs, so the structure comes next)."""
    page = show(client, token)
    assert page.route == "postal_address_capture"
    page = follow(client, press(client, page, "Continue", fill=ADDRESS_FILL))
    assert page.route == "provider_select"
    page = follow(client, press(client, page, "Continue", choose="Good Energy"))
    assert page.route == "tariff_structure_select"
    return page


def test_a_fixed_tariff_through_the_forms_ends_at_the_callback(client, tenant):
    token = new_session(client, tenant)
    page = to_structure_page(client, token)
    assert page.h1 == ["How is your tariff priced?"]
    page = follow(client, press(client, page, "Continue", choose="Fixed rate"))
    assert page.route == "rate_fixed_capture"
    assert page.labels["cost"] == "Price per kWh (p/kWh)"
    # Pence per kWh with a decimal comma: the machine gets 0.245 GBP.
    page = follow(client, press(client, page, "Continue", fill={"Price per kWh": "24,5"}))
    assert page.route == "tariff_name_capture"
    assert page.forms[-1].fields["tariff_name"] == "Good Energy fixed rate"
    page = follow(client, press(client, page, "Continue", fill={"Tariff name": "My fixed"}))
    assert page.route == "contract_term_capture"
    page = follow(client, press(client, page, "Skip \u2013 until terminated"))
    assert page.route == "tariff_summary"
    summary = text_of(page.html)
    assert "My fixed" in summary
    assert "Fixed rate" in summary
    assert "GBP" in summary
    assert "24.5\u00a0p/kWh" in page.html
    assert "Until terminated" in summary
    assert page.button_labels() == ["Back", "Done", "Edit", "Report a wrong tariff", "Disconnect"]

    done = press(client, page, "Done")
    assert done.status_code == 303
    assert done.headers["location"] == f"{CALLBACK}?fp_cot={token}"
    assert done.headers["referrer-policy"] == "no-referrer"

    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert session["data_available"] is True
    # Back on the page after the callback: the summary, read-only.
    again = show(client, token)
    assert again.route == "tariff_summary"
    assert again.button_labels() == ["Done"]
    assert "My fixed" in again.html


def test_the_callback_origin_is_allowed_as_a_form_action(client, tenant):
    """Chromium checks form-action on the redirect after a form post: the pages allow the
    app's callback (a custom scheme here, an https origin below), and nothing wider."""
    token = new_session(client, tenant)
    page = show(client, token)
    assert page.headers["content-security-policy"].count("form-action 'self' myapp:;") == 1
    web = new_session(client, tenant, callback="https://app.example.com/done?x=1")
    page = show(client, web)
    assert "form-action 'self' https://app.example.com;" in page.headers["content-security-policy"]
    closed = press(client, page, "Close")
    assert closed.status_code == 303
    assert closed.headers["location"] == f"https://app.example.com/done?x=1&fp_cot={web}"


def test_day_and_night_rates_show_a_chart_with_levels(client, tenant):
    token = new_session(client, tenant)
    page = to_structure_page(client, token)
    page = follow(client, press(client, page, "Continue", choose="Day and night rates"))
    assert page.route == "rate_tod_capture"
    # The usual periods are filled in; only the rates are needed.
    form = page.forms[-1].fields
    assert (form["day_from"], form["day_to"]) == ("07:00", "23:00")
    assert (form["night_from"], form["night_to"]) == ("23:00", "07:00")
    assert form["day_cost"] == form["night_cost"] == ""
    fill = {"Day rate": "30", "Night rate": "10,5"}
    page = follow(client, press(client, page, "Continue", fill=fill))
    assert page.route == "tariff_name_capture"
    page = follow(client, press(client, page, "Continue"))
    end = (date.today() + timedelta(days=400)).isoformat()
    page = follow(client, press(client, page, "Continue", fill={"Contract end date": end}))
    assert page.route == "tariff_summary"
    assert "Day and night rates" in page.html
    assert page.html.count('role="img"') == 2  # today and tomorrow
    assert '<title id="chart-today-title">Prices today, ' in page.html
    # Two distinct prices: the lower is Low, the higher High (never colour alone).
    assert "30\u00a0p/kWh" in page.html
    assert "10.5\u00a0p/kWh" in page.html
    assert 'class="level level-high">High<' in page.html
    assert 'class="level level-low">Low<' in page.html
    assert "level-medium" not in page.html
    assert 'class="bar bar-high"' in page.html


def test_an_invalid_rate_shows_the_step_again_with_the_error_and_the_value(client, tenant):
    token = new_session(client, tenant)
    page = to_structure_page(client, token)
    page = follow(client, press(client, page, "Continue", choose="Fixed rate"))

    response = press(client, page, "Continue", fill={"Price per kWh": "24.5p"})
    again = type(page).of(response)
    assert response.status_code == 200
    assert again.route == "rate_fixed_capture"
    assert again.h1 == ["Your electricity price"]
    assert '<div class="error-summary" role="alert"' in response.text
    assert '<a href="#cost">Enter a number, like 24.5.</a>' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'aria-describedby="cost-hint cost-error"' in response.text
    assert again.forms[-1].fields["cost"] == "24.5p"
    assert response.text.count("<title>Error: Your electricity price") == 1

    # The machine's own checks come back the same way.
    zero = press(client, again, "Continue", fill={"Price per kWh": "0"})
    assert zero.status_code == 200
    assert '<a href="#cost">The price must be more than 0.</a>' in zero.text
    assert 'value="0"' in zero.text
    negative = press(client, again, "Continue", fill={"Price per kWh": "-3"})
    assert '<a href="#cost">The price cannot be negative.</a>' in negative.text
    assert show(client, token).route == "rate_fixed_capture"  # nothing changed


def test_an_invalid_address_keeps_what_was_typed(client, tenant):
    token = new_session(client, tenant)
    page = show(client, token)
    fill = {"Address line 1": "", "Town or city": "Paris", "Postcode": "75001"}
    response = press(client, page, "Continue", fill=fill)
    assert response.status_code == 200
    assert '<a href="#address_line1">Enter the first line of your address.</a>' in response.text
    again = type(page).of(response)
    assert again.forms[-1].fields["city"] == "Paris"
    assert again.forms[-1].fields["post_code"] == "75001"


def test_a_missing_choice_links_to_the_first_radio(client, tenant):
    token = new_session(client, tenant, address=LONDON)
    page = show(client, token)
    assert page.route == "provider_select"
    response = press(client, page, "Continue")
    assert '<a href="#provider_id-0">Choose your energy provider.</a>' in response.text
    assert 'id="provider_id-0"' in response.text


def test_time_of_day_periods_that_do_not_meet(client, tenant):
    token = new_session(client, tenant)
    page = to_structure_page(client, token)
    page = follow(client, press(client, page, "Continue", choose="Day and night rates"))
    fill = {"Day ends": "22:00", "Day rate": "30", "Night rate": "10"}
    response = press(client, page, "Continue", fill=fill)
    assert response.status_code == 200
    assert (
        '<a href="#day_to">The periods must meet: the night starts when the day ends.</a>'
        in response.text
    )
    assert type(page).of(response).forms[-1].fields["day_to"] == "22:00"


def test_a_stale_route_goes_back_to_the_current_step(client, tenant):
    token = new_session(client, tenant)
    page = show(client, token)
    first = press(client, page, "Continue", fill=ADDRESS_FILL)
    assert follow(client, first).route == "provider_select"
    # The same form again (a double submit, or the browser's back button): no error, just
    # the step the session is on.
    again = press(client, page, "Continue", fill=ADDRESS_FILL)
    assert again.status_code == 303
    assert again.headers["location"] == f"/connect/web?fp_cot={token}"
    assert follow(client, again).route == "provider_select"


def test_back_and_address_change(client, tenant):
    token = new_session(client, tenant, address=LONDON)
    page = show(client, token)
    assert page.route == "provider_select"
    page = follow(client, press(client, page, "Change address"))
    assert page.route == "postal_address_capture"
    assert page.forms[-1].fields["post_code"] == "SW1A 1AA"
    page = follow(client, press(client, page, "Back"))
    assert page.route == "provider_select"


def test_back_on_the_first_page_leaves_for_the_callback(client, tenant):
    token = new_session(client, tenant)
    back = press(client, show(client, token), "Back")
    assert back.status_code == 303
    assert query_of(back.headers["location"]) == {"fp_cot": [token]}


def test_a_garbage_action_or_missing_route_goes_back_to_the_step(client, tenant):
    token, page = create_session_with_page(client, tenant)
    form = dict(page.forms[-1].fields)
    for data in (form | {"action": "DROP TABLE x"}, {"csrf_token": form["csrf_token"]}):
        response = client.post(page.forms[-1].action, data=data, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/connect/web?fp_cot={token}"
    assert show(client, token).route == "postal_address_capture"


def test_an_action_the_page_does_not_offer_is_shown_as_an_error(client, tenant):
    _, page = create_session_with_page(client, tenant)
    data = dict(page.forms[-1].fields) | {"action": "DISCONNECT"}
    response = client.post(page.forms[-1].action, data=data, follow_redirects=False)
    assert response.status_code == 200
    assert '<div class="error-summary" role="alert"' in response.text
    assert "DISCONNECT is not an action of postal_address_capture." in response.text


def test_a_session_that_expires_mid_flow(client, database, tenant):
    token, page = create_session_with_page(client, tenant)
    with database.transaction() as session:
        session.get(ConnectSession, token).time_expiry = utcnow() - timedelta(seconds=1)
    response = press(client, page, "Continue", fill=ADDRESS_FILL)
    assert response.status_code == 410
    assert "This link has expired. Go back to the app and start again." in response.text


def test_a_callback_the_policy_cannot_name_gets_a_link(client, tenant):
    """An internationalised host cannot be written in form-action as given: rather than a
    redirect the browser would block, the page links to the app."""
    token = new_session(client, tenant, callback="https://bücher.example/done")
    page = show(client, token)
    assert csp(page)["form-action"] == "'self'"
    response = press(client, page, "Close")
    assert response.status_code == 200
    assert f'href="https://bücher.example/done?fp_cot={token}"' in response.text
    assert Page.of(response).h1 == ["Return to the app"]
    assert ">Continue to the app</a>" in response.text


def create_session_with_page(client, tenant):
    token = new_session(client, tenant)
    return token, show(client, token)
