"""A customer's credentials for a provider ("auth metadata", `amd_`): checked, stored sealed
(integrations/vault.py), read back only by the flow and the pull, deleted with the connection.

Values are never echoed in errors or logs: an error names the key at most.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import invalid
from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope, get_owned
from tariffconnect.integrations import vault
from tariffconnect.integrations.models import AuthMetadata

MAX_BYTES = 4096
MAX_KEY_LENGTH = 64
PREFIX = "amd"


@dataclass(frozen=True, slots=True)
class Sealed:
    """Stored credentials, opened."""

    id: str
    provider_id: str
    connect_session_id: str | None
    location_id: str | None
    credentials: dict[str, str]
    reference: dict[str, Any] | None
    consent_given_at: datetime | None


def check(data: Any) -> dict[str, str]:
    """`data` if it is a non-empty JSON object of strings within 4 KiB, else a flow error."""
    if not isinstance(data, dict) or not data:
        raise invalid("auth_metadata_invalid", "data must be a non-empty object of strings.")
    for key, value in data.items():
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            raise invalid(
                "auth_metadata_invalid", f"data keys must be 1 to {MAX_KEY_LENGTH} characters."
            )
        if not isinstance(value, str):
            raise invalid("auth_metadata_invalid", f"data.{key} must be a string.")
    size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_BYTES:
        raise invalid("auth_metadata_too_large", f"data must be at most {MAX_BYTES} bytes.")
    return dict(data)


def _seal(secret: bytes, credentials: dict[str, str], reference: dict[str, Any] | None) -> bytes:
    return vault.seal(secret, {"credentials": credentials, "reference": reference})


def store(
    session: Session,
    *,
    secret: bytes,
    scope: Scope,
    connect_session_id: str | None,
    location_id: str | None,
    provider_id: str,
    direction: str,
    tariff_type: str,
    credentials: dict[str, str],
    reference: dict[str, Any] | None = None,
    now: datetime,
) -> str:
    """Seal and store the credentials; the new `amd_` id."""
    row = AuthMetadata(
        id=new_id(PREFIX),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=now,
        connect_session_id=connect_session_id,
        location_id=location_id,
        provider_id=provider_id,
        tariff_direction=direction,
        tariff_type=tariff_type,
        sealed=_seal(secret, credentials, reference),
        consent_given_at=None,
    )
    session.add(row)
    session.flush()
    return row.id


def _row(session: Session, scope: Scope, auth_metadata_id: str) -> AuthMetadata | None:
    return get_owned(session, AuthMetadata, scope, auth_metadata_id, prefix=PREFIX)


def load(session: Session, *, secret: bytes, scope: Scope, auth_metadata_id: str) -> Sealed | None:
    """The caller's credentials with this id, opened; None when there are none
    (VaultError when they do not open with this secret)."""
    row = _row(session, scope, auth_metadata_id)
    if row is None:
        return None
    payload = vault.unseal(secret, row.sealed)
    return Sealed(
        id=row.id,
        provider_id=row.provider_id,
        connect_session_id=row.connect_session_id,
        location_id=row.location_id,
        credentials=dict(payload.get("credentials") or {}),
        reference=payload.get("reference"),
        consent_given_at=row.consent_given_at,
    )


def _update(session: Session, scope: Scope, auth_metadata_id: str, **values: Any) -> bool:
    """Set columns of the caller's row; False when there is no such row."""
    row = _row(session, scope, auth_metadata_id)
    if row is None:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return True


def replace(
    session: Session,
    *,
    secret: bytes,
    scope: Scope,
    auth_metadata_id: str,
    credentials: dict[str, str],
    reference: dict[str, Any] | None,
) -> bool:
    """Seal new credentials and reference in place; False when there is no such row."""
    return _update(session, scope, auth_metadata_id, sealed=_seal(secret, credentials, reference))


def record_consent(session: Session, *, scope: Scope, auth_metadata_id: str, now: datetime) -> bool:
    """Note when the customer consented; False when there is no such row."""
    return _update(session, scope, auth_metadata_id, consent_given_at=now)


def set_location(
    session: Session, *, scope: Scope, auth_metadata_id: str, location_id: str
) -> bool:
    """Attach the credentials to the location the session created; False when none."""
    return _update(session, scope, auth_metadata_id, location_id=location_id)


def delete(session: Session, *, scope: Scope, auth_metadata_id: str) -> bool:
    """Delete the credentials (their connection goes with them); False when there were none."""
    row = _row(session, scope, auth_metadata_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def purge_unconsented(session: Session, *, now: datetime, older_than: timedelta) -> int:
    """Delete, across accounts, credentials whose consent never came within `older_than`;
    how many were deleted."""
    cutoff = now - older_than
    ids = list(
        session.scalars(
            select(AuthMetadata.id).where(
                AuthMetadata.consent_given_at.is_(None), AuthMetadata.time_created < cutoff
            )
        )
    )
    if not ids:
        return 0
    session.execute(sql_delete(AuthMetadata).where(AuthMetadata.id.in_(ids)))
    return len(ids)


def open_sealed(secret: bytes, sealed: bytes) -> tuple[dict[str, str], dict[str, Any] | None]:
    """(credentials, reference) of a row's sealed blob read elsewhere (VaultError if it does
    not open)."""
    payload = vault.unseal(secret, sealed)
    return dict(payload.get("credentials") or {}), payload.get("reference")
