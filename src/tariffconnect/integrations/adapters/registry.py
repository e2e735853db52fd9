"""Which built-in adapter serves a provider."""

from __future__ import annotations

from tariffconnect.integrations.adapters.base import Adapter
from tariffconnect.integrations.adapters.sandbox import SandboxAdapter
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID

# Adapters that serve live connections too; none yet beyond the sandbox.
_LIVE: dict[str, Adapter] = {}
_SANDBOX = SandboxAdapter()


def adapter_for(provider_id: str, *, live_mode: bool) -> Adapter | None:
    """The built-in adapter of this provider, or None (the sandbox only in test mode)."""
    if provider_id == SANDBOX_PROVIDER_ID:
        return None if live_mode else _SANDBOX
    return _LIVE.get(provider_id)
