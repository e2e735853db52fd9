"""Which built-in adapter serves a provider."""

from __future__ import annotations

import functools
from collections.abc import Callable

from tariffconnect.config import Settings
from tariffconnect.integrations.adapters.base import Adapter
from tariffconnect.integrations.adapters.sandbox import SandboxAdapter
from tariffconnect.integrations.octopus.adapter import OctopusAdapter
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID

OCTOPUS_GB_PROVIDER_ID = "prv_6eb04b20869ef591375f1f8b"  # "gb-octopus-energy" in providers.json

Build = Callable[[Settings, bool], Adapter]

# The built-in adapters, built for the caller's settings (an adapter that calls out reads its
# URL and time-out from them); `settings` None: the defaults, enough for a caller that only asks
# whether there is an adapter, or for its fields.
_LIVE: dict[str, Build] = {
    OCTOPUS_GB_PROVIDER_ID: lambda settings, live_mode: OctopusAdapter(
        settings, live_mode=live_mode
    ),
}
_SANDBOX = SandboxAdapter()


def adapter_for(
    provider_id: str, *, live_mode: bool, settings: Settings | None = None
) -> Adapter | None:
    """The built-in adapter of this provider, or None (the sandbox only in test mode)."""
    if provider_id == SANDBOX_PROVIDER_ID:
        return None if live_mode else _SANDBOX
    build = _LIVE.get(provider_id)
    return None if build is None else build(settings or _defaults(), live_mode)


@functools.cache
def _defaults() -> Settings:
    """The settings from the environment, read once (a few milliseconds each time)."""
    return Settings()
