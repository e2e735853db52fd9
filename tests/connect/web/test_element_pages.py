"""Issue 14 on the hosted pages' forms: each tariff element's wording, and a negative fixed
surcharge accepted on a market export tariff only."""

from tests.connect.flow.flow import LONDON, make_session
from tests.connect.web import Page, follow, press, show
from tests.connect.web.test_pages import BERLIN, follow_de

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def to_structure(client, page, continue_label, headers=None, missing="My tariff is not listed"):
    """From the provider page to the structure page, with the first provider listed."""
    provider = next(label for label in page.labels.values() if label)
    response = press(client, page, continue_label, choose=provider, headers=headers)
    page = follow_de(client, response) if headers else follow(client, response)
    if page.route == "tariff_select":
        response = press(client, page, missing, headers=headers)
        page = follow_de(client, response) if headers else follow(client, response)
    assert page.route == "tariff_structure_select"
    return page


def test_a_market_export_tariff_in_german_takes_a_negative_fixed_surcharge(client, tenant):
    token = make_session(client, tenant.test, BERLIN, options={"tariff_direction": "EXPORT"})
    page = Page.of(client.get("/connect/web", params={"fp_cot": token}, headers=GERMAN))
    page = to_structure(client, page, "Weiter", GERMAN, "Mein Tarif ist nicht aufgeführt")
    assert page.h1 == ["Wie wird Ihr Einspeisetarif vergütet?"]
    response = press(client, page, "Weiter", choose="Marktpreis", headers=GERMAN)
    page = follow_de(client, response)
    assert page.route == "surcharge_capture"
    assert "Ihre Vergütung pro kWh folgt dem Marktpreis." in page.html
    fill = {"Fester Aufschlag": "-2,5", "Prozentualer Aufschlag": ""}
    page = follow_de(client, press(client, page, "Weiter", fill=fill, headers=GERMAN))
    assert page.route == "tariff_name_capture"
    # The answer is kept in the flow (-0.025 EUR), shown back in cents.
    page = follow_de(client, press(client, page, "Zurück", headers=GERMAN))
    assert page.forms[-1].fields["surcharge_fixed"] == "-2,5"


def test_a_market_import_tariff_refuses_a_negative_fixed_surcharge(client, tenant):
    token = make_session(client, tenant.test, LONDON)
    page = to_structure(client, show(client, token), "Continue")
    assert page.h1 == ["How is your tariff priced?"]
    page = follow(client, press(client, page, "Continue", choose="Market price"))
    response = press(client, page, "Continue", fill={"Fixed surcharge": "-2"})
    again = Page.of(response)
    assert (response.status_code, again.route) == (200, "surcharge_capture")
    assert '<a href="#surcharge_fixed">The price cannot be negative.</a>' in response.text


def test_grid_fee_pages_speak_of_grid_fees(client, tenant):
    token = make_session(client, tenant.test, LONDON, options={"tariff_type": "NON_COMMODITY"})
    page = to_structure(client, show(client, token), "Continue")
    assert page.h1 == ["How are your grid fees charged?"]
    assert "Market price" not in page.labels.values()
    page = follow(client, press(client, page, "Continue", choose="Fixed rate"))
    assert page.h1 == ["Your grid fees"]
    label = "Grid fees and network charges per kWh (p/kWh)"
    assert label in page.labels.values()
    page = follow(client, press(client, page, "Continue", fill={label: "4,2"}))
    assert page.route == "tariff_name_capture"
