"""Sandbox Energy: the DIRECT provider of test mode, offered for every country, whose
scenario logins (integrations/adapters/sandbox.py, docs/direct.md) exercise each outcome."""

from __future__ import annotations

from tariffconnect.providers.schemas import IntegrationType, Provider

SANDBOX_PROVIDER_ID = "prv_5a4dbc0c000000000000000a"

SANDBOX = Provider(
    id=SANDBOX_PROVIDER_ID,
    slug="zz-sandbox-energy",
    display_name="Sandbox Energy",
    country_code="ZZ",
    integration_type=IntegrationType.DIRECT,
    website_url="https://tariffconnect.example/sandbox",
)
