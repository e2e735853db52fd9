"""A French customer through the hosted pages in real Chromium at a phone's size.

The browser asks for French (Accept-Language fr-FR) at a French address: every page is in
French, numbers are written with a decimal comma, dates in French, and the tariff the pages
connect is the one typed. Screenshots land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import Phone

pytestmark = pytest.mark.e2e

PARIS = {"city": "Paris", "country_code": "FR"}  # no street yet: the flow asks for it
PROVIDER = "Enercoop"  # a French provider with no published tariffs: the manual path follows
NBSP = "\u00a0"


def on_page(phone: Phone, heading: str) -> Any:
    """The page shown is in French: its one heading, its language and the Back button."""
    page = phone.page
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("button", name="Retour", exact=True).is_visible()
    return page


def press(phone: Phone, name: str, button: str = "Continuer") -> None:
    phone.shot(name)
    phone.page.get_by_role("button", name=button, exact=True).click()
    phone.page.wait_for_load_state()


@pytest.mark.parametrize("phone", ["fr-FR"], indirect=True)  # Accept-Language: fr-FR
def test_a_french_customer_connects_a_fixed_rate_in_french(phone, live):
    token = live.session(PARIS)
    phone.page.goto(f"{live.base}/connect/web?fp_cot={token}")

    page = on_page(phone, "Votre adresse")
    assert page.get_by_label("Pays", exact=True).input_value() == "FR"
    assert page.locator("#country_code option:checked").inner_text() == "France"
    page.get_by_label("Numéro et nom de rue", exact=True).fill("5 rue de Rivoli")
    page.get_by_label("Code postal", exact=True).fill("75001")
    press(phone, "postal_address_capture")

    page = on_page(phone, "Choisissez votre fournisseur d'électricité")
    page.get_by_label(PROVIDER, exact=True).check()
    press(phone, "provider_select")

    page = on_page(phone, f"Comment votre tarif est-il facturé{NBSP}?")
    page.get_by_label("Prix fixe", exact=True).check()
    press(phone, "tariff_structure_select")

    # A price of 0 is refused in French; then the price typed with a decimal comma.
    page = on_page(phone, "Votre prix de l'électricité")
    price = page.get_by_label("Prix du kWh (ct/kWh)", exact=True)
    assert page.get_by_text("TTC, par exemple 24,5.", exact=True).is_visible()
    price.fill("0")
    press(phone, "rate_fixed_capture-zero")
    page = on_page(phone, "Votre prix de l'électricité")
    summary = page.get_by_role("alert")
    assert summary.get_by_role("heading", level=2).inner_text() == "Il y a un problème"
    assert summary.get_by_role("link").inner_text() == "Le prix doit être supérieur à 0."
    price.fill("24,5")
    press(phone, "rate_fixed_capture")

    page = on_page(phone, "Nommez votre tarif")
    page.get_by_label("Nom du tarif", exact=True).fill("Mon offre Enercoop")
    press(phone, "tariff_name_capture")

    year = datetime.now(UTC).year + 1
    page = on_page(phone, f"Quand votre contrat se termine-t-il{NBSP}?")
    skip = page.get_by_role("button", name="Passer \u2013 sans date de fin", exact=True)
    assert skip.is_visible()
    page.get_by_label("Date de fin de contrat", exact=True).fill(f"{year}-09-30")
    press(phone, "contract_term_capture")

    page = on_page(phone, "Récapitulatif du tarif")
    details = dict(
        zip(
            page.locator("dl.details dt").all_inner_texts(),
            page.locator("dl.details dd").all_inner_texts(),
            strict=True,
        )
    )
    assert details == {
        "Tarif": "Mon offre Enercoop",
        "Type de tarif": "Prix fixe",
        "Devise": "EUR",
        "Fin du contrat": f"30 septembre {year}",
    }
    assert page.locator(".big-rate").inner_text() == f"24,5{NBSP}ct/kWh"
    press(phone, "tariff_summary", button="Terminé")

    page.wait_for_url(re.compile(r"^" + re.escape(live.callback.split("?")[0])))
    assert parse_qs(urlsplit(page.url).query) == {"app": ["demo"], "fp_cot": [token]}
    phone.shot("callback")
    session = live.get(f"/connect/{token}")
    assert session["status"] == "COMPLETED"
    tariffs = live.get("/tariffs", location_id=session["location_id"])["data"]
    assert [(t["display_name"], t["connection_type"]) for t in tariffs] == [
        ("Mon offre Enercoop", "MANUAL")
    ]
    rate = tariffs[0]["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]
    assert rate["fixed"] == 0.245
