"""What a built-in adapter implements, and what its steps can answer.

The shape follows the hooks of Flatpeak's provider-integration SDK (`authorise`, `capture`,
`convert`), so a module's logic moves to an adapter (or back) without being rethought:

- `authorise(credentials, where)` checks the login. Credentials are the strings the customer typed
  (`login`, `password`, ...), plus what the extra steps added (`otpCode` after `mfa_capture`,
  `account` after `multiple_available_tariffs`). It answers `Authorised` with a reference
  (what `capture` needs; stored sealed beside the credentials) or one of the other outcomes.
  `where` is the session's address as the flow knows it (an adapter whose login spans several
  supply addresses, as an Octopus account does, picks the one being connected by it).
- `capture(reference)` reads the provider's current tariff, in the provider's own terms.
- `convert(provider_tariff)` turns that into the SDK's tariff schema (`display_name`,
  `timezone`, `provider_tariff_expiry_date`, `data` of months / days_and_hours / hours with
  `rate: [{value}]` in major units): the same JSON an external module's `/api/tariff_plan`
  answers, so both go through one validation (integrations/sdk_tariff.py).

Adapters run outside any database transaction; they may block for a network call (within the
pull's time-out) and never raise for an expected outcome: they answer one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Credentials = dict[str, str]


@dataclass(frozen=True, slots=True)
class Where:
    """The address of the location being connected (the session's location, or the address
    the flow captured for one it will create): what an adapter may match the login's
    supplies against. Empty when the flow has none."""

    country_code: str | None = None
    post_code: str | None = None


@dataclass(frozen=True, slots=True)
class Authorised:
    """The login worked; `reference` is what `capture` needs (JSON-serialisable)."""

    reference: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FailedLogin:
    """Wrong login or password: the customer may try again or enter the tariff by hand."""

    message: str = "The login or password is not right."


@dataclass(frozen=True, slots=True)
class NeedsMfa:
    """The provider sent a one-time code; `context` is shown on `mfa_capture` (where it went)."""

    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TariffChoice:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class SeveralTariffs:
    """The login has several supplies or tariffs: the customer picks one
    (`multiple_available_tariffs`, answered with `account`)."""

    accounts: tuple[TariffChoice, ...]


@dataclass(frozen=True, slots=True)
class NoTariffs:
    """The login has no electricity tariff (`no_available_tariffs`)."""


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The provider could not be reached or did not answer sensibly; `reason` is recorded
    (for the operator's `integrations status`), never shown to the customer as it is."""

    reason: str


@dataclass(frozen=True, slots=True)
class NotYet:
    """`capture` only: the provider has not published the tariff yet; try again on the next
    refresh (the connection stays PENDING)."""


AuthOutcome = Authorised | FailedLogin | NeedsMfa | SeveralTariffs | NoTariffs | Unavailable
CaptureOutcome = dict[str, Any] | NotYet | Unavailable  # a dict: the provider's own tariff


class Adapter(Protocol):
    """A provider integration built into TariffConnect, registered by provider id
    (integrations/adapters/registry.py)."""

    # Which credentials the hosted auth page asks for, in order: (field name, label, kind)
    # where kind is "text" or "password".
    fields: tuple[tuple[str, str, str], ...]

    def authorise(self, credentials: Credentials, where: Where = ...) -> AuthOutcome: ...

    def capture(self, reference: dict[str, Any]) -> CaptureOutcome: ...

    def convert(self, provider_tariff: dict[str, Any]) -> dict[str, Any]: ...
