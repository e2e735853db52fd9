"""DIRECT connections as rows, for the tests of what locations and prices show of them (the
pull's own tests make them through the protocol)."""

from __future__ import annotations

from datetime import datetime

from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.integrations.models import AuthMetadata, DirectConnection
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.schemas import TariffCreate
from tests.tariffs.support import flat

# Octopus Energy, a DIRECT provider of the catalogue.
PROVIDER_ID = "prv_6eb04b20869ef591375f1f8b"


def connect_direct(
    database: Database,
    account_id: str,
    location_id: str,
    *,
    status: str,
    consent_given_at: datetime | None = None,
    direction: str = "IMPORT",
    with_tariff: bool = False,
    provider_id: str = PROVIDER_ID,
) -> tuple[str, str | None]:
    """A DIRECT connection of the location's COMMODITY element in this status (and its DIRECT
    tariff when `with_tariff`); its id and the tariff's."""
    scope = Scope(account_id=account_id, live_mode=False)
    now = utcnow()
    with database.transaction() as session:
        tariff_id = None
        if with_tariff:
            data = TariffCreate.model_validate(
                {
                    "location_id": location_id,
                    "tariff_direction": direction,
                    "provider_id": provider_id,
                    "display_name": "Pulled",
                    "schedule": flat(0.3),
                }
            )
            tariff_id = tariffs.create(session, scope=scope, data=data, connection_type="DIRECT").id
        credentials = AuthMetadata(
            id=new_id("amd"),
            account_id=account_id,
            live_mode=False,
            time_created=now,
            connect_session_id=None,
            location_id=location_id,
            provider_id=provider_id,
            tariff_direction=direction,
            tariff_type="COMMODITY",
            sealed=b"not opened by these tests",
            consent_given_at=consent_given_at,
        )
        session.add(credentials)
        session.flush()
        connection = DirectConnection(
            id=new_id("dcn"),
            account_id=account_id,
            live_mode=False,
            time_created=now,
            location_id=location_id,
            tariff_direction=direction,
            tariff_type="COMMODITY",
            provider_id=provider_id,
            auth_metadata_id=credentials.id,
            status=status,
            tariff_id=tariff_id,
            next_refresh_at=now,
        )
        session.add(connection)
    return connection.id, tariff_id
