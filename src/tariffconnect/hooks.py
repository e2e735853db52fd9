"""The hooks through which lower rooms trigger higher ones, installed by every process that
may trigger them: the app, the worker, and the commands that store market prices."""

from __future__ import annotations

from tariffconnect.integrations import api_changes
from tariffconnect.integrations import status as integrations_status
from tariffconnect.locations import market_updates
from tariffconnect.webhooks import service as webhooks


def install() -> None:
    webhooks.install()  # every recorded event fans out to webhook deliveries
    market_updates.install()  # new market prices become location.update events
    integrations_status.install()  # locations and prices see DIRECT elements
    api_changes.install()  # the app's own tariff ends the element's DIRECT connection
