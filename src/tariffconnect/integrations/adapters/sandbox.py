"""Sandbox Energy's adapter: scenario logins that answer each outcome of the protocol, so
integrators can test every page and failure without a real provider (docs/direct.md).

Every scenario's password is `pass_good`; any other password is a failed login.
"""

from __future__ import annotations

from typing import Any

from tariffconnect.integrations.adapters.base import (
    Authorised,
    AuthOutcome,
    CaptureOutcome,
    Credentials,
    FailedLogin,
    NeedsMfa,
    NoTariffs,
    NotYet,
    SeveralTariffs,
    TariffChoice,
    Unavailable,
    Where,
)

PASSWORD = "pass_good"  # noqa: S105 - the documented sandbox password
OTP_CODE = "123456"
MFA_CONTEXT = {"channel": "sms", "destination": "+44 ••• ••• 789"}
CHOICES = (
    TariffChoice("sbx_1", "Sandbox Flex", "Variable, one rate all day"),
    TariffChoice("sbx_2", "Sandbox Night Saver", "Cheaper from 00:30 to 05:30"),
    TariffChoice("sbx_3", "Sandbox Fixed 12M", "Fixed for twelve months"),
)
UNREACHABLE = "sandbox: the provider is unreachable"
REVOKED = "sandbox: the provider refused the stored credentials"
_AUTHORISED_USERS = frozenset({"user_good", "user_pending", "user_down", "user_expire"})


class SandboxAdapter:
    """The scenarios of Sandbox Energy; stateless (what a scenario needs is in its reference)."""

    fields: tuple[tuple[str, str, str], ...] = (
        ("login", "Username", "text"),
        ("password", "Password", "password"),
    )

    def authorise(self, credentials: Credentials, where: Where = Where()) -> AuthOutcome:
        """The scenario's outcome for these credentials."""
        user = credentials.get("login", "")
        if credentials.get("password") != PASSWORD:
            return FailedLogin()
        if user in _AUTHORISED_USERS:
            return Authorised({"user": user})
        if user == "user_mfa":
            code = credentials.get("otpCode")
            if code is None:
                return NeedsMfa(dict(MFA_CONTEXT))
            return Authorised({"user": user}) if code == OTP_CODE else FailedLogin()
        if user == "user_multi":
            account = credentials.get("account")
            if account is None:
                return SeveralTariffs(CHOICES)
            if account not in {choice.id for choice in CHOICES}:
                return FailedLogin("That tariff is not one of this login's.")
            return Authorised({"user": user, "account": account})
        if user == "user_none":
            return NoTariffs()
        return FailedLogin()

    def capture(self, reference: dict[str, Any]) -> CaptureOutcome:
        """The scenario's tariff, in the sandbox provider's own terms."""
        user = reference.get("user")
        pulls = int(reference.get("pulls", 0))
        if user == "user_down":
            return Unavailable(UNREACHABLE)
        if user == "user_pending":
            return NotYet() if pulls == 0 else {"plan": "fixed", "name": "Sandbox Fixed"}
        if user == "user_expire":
            return Unavailable(REVOKED) if pulls else {"plan": "fixed", "name": "Sandbox Fixed"}
        if user == "user_multi":
            account = reference.get("account")
            name = next((c.name for c in CHOICES if c.id == account), CHOICES[0].name)
            if account == "sbx_2":
                return {"plan": "night", "name": name}
            return {"plan": "fixed", "name": name}
        if user in ("user_good", "user_mfa"):
            return {"plan": "day_night", "name": "Sandbox Day & Night"}
        return Unavailable(UNREACHABLE)

    def convert(self, provider_tariff: dict[str, Any]) -> dict[str, Any]:
        """The SDK tariff schema of a sandbox tariff (rates in major units)."""
        plan = provider_tariff.get("plan")
        if plan == "day_night":
            hours = [_hours("07:00:00", "23:00:00", 0.30), _hours("23:00:00", "07:00:00", 0.12)]
        elif plan == "night":
            hours = [_hours("05:30:00", "00:30:00", 0.28), _hours("00:30:00", "05:30:00", 0.09)]
        else:
            hours = [_hours("00:00:00", "00:00:00", 0.25)]
        return {
            "display_name": provider_tariff.get("name", "Sandbox tariff"),
            "data": [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": hours}]}],
        }


def _hours(valid_from: str, valid_to: str, value: float) -> dict[str, Any]:
    return {"valid_from": valid_from, "valid_to": valid_to, "rate": [{"value": value}]}
