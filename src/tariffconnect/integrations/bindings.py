"""Operators' bindings of providers to auth modules, and which DIRECT route a provider has.

A module URL is a place our server sends customers' credentials to, so it is held to the
webhook rules of live mode (https, no private addresses), except that the operator's
`webhook_allowed_networks` also admit plain http to those networks (a module beside us).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import not_found
from tariffconnect.integrations.adapters.registry import adapter_for
from tariffconnect.integrations.models import AuthModule
from tariffconnect.providers import catalogue
from tariffconnect.webhooks.urls import IPNetwork, validate_endpoint_url

Route = Literal["module", "adapter"]


def module_url(session: Session, provider_id: str) -> str | None:
    """The URL of the module bound to this provider, or None. By primary key: a flow step
    asks several times, and the session's identity map answers all but the first."""
    row = session.get(AuthModule, provider_id)
    return row.url if row is not None else None


def validate_module_url(url: str, *, allow: Sequence[IPNetwork] = ()) -> str:
    """`url` without a trailing slash if it may be a module's, else ApiError `url_invalid`."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "http" and _in_allowed(parts.hostname or "", allow):
        # Checked as its https form in test mode: the address rules still apply, and the
        # allowed networks admit the private host.
        validate_endpoint_url("https" + url[4:], live_mode=False, allow=allow)
    else:
        validate_endpoint_url(url, live_mode=True, allow=allow)
    return url.rstrip("/")


def _in_allowed(host: str, allow: Sequence[IPNetwork]) -> bool:
    name = host.lower().rstrip(".")
    literal = "127.0.0.1" if name == "localhost" else name
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        return False
    return any(address in net for net in allow if address.version == net.version)


def bind(
    session: Session,
    *,
    provider_id: str,
    url: str,
    now: datetime,
    allow: Sequence[IPNetwork] = (),
) -> AuthModule:
    """Bind (or re-bind) the provider to the module at `url`."""
    if catalogue.get(provider_id) is None:
        raise not_found("provider_not_found", f"No provider {provider_id}.")
    checked = validate_module_url(url, allow=allow)
    row = session.get(AuthModule, provider_id)
    if row is None:
        row = AuthModule(provider_id=provider_id, url=checked, time_created=now, time_updated=now)
        session.add(row)
    else:
        row.url, row.time_updated = checked, now
    session.flush()
    return row


def clear(session: Session, *, provider_id: str) -> bool:
    """Remove the provider's binding; False when it had none."""
    row = session.get(AuthModule, provider_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def list_bindings(session: Session) -> list[AuthModule]:
    """Every binding, by provider id."""
    return list(session.scalars(select(AuthModule).order_by(AuthModule.provider_id)))


def direct_route(session: Session, provider_id: str, *, live_mode: bool) -> Route | None:
    """How a DIRECT connection to this provider runs: a bound module wins over a built-in
    adapter; None keeps the provider on the library/manual path. A plain http module is for
    test mode only (a live pull refuses it, module_client), so live customers never reach it."""
    url = module_url(session, provider_id)
    if url is not None:
        return None if live_mode and urlsplit(url).scheme.lower() == "http" else "module"
    if adapter_for(provider_id, live_mode=live_mode) is not None:
        return "adapter"
    return None
