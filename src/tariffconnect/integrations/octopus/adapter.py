"""Octopus Energy's DIRECT adapter: the customer's account number and API key (from their
Octopus dashboard), the property at the location's post code, and its current agreements
read from the REST API (client.py) and converted by agreements.py.

- `authorise` checks the two values' shapes before any call; reads the account (401: the key
  is wrong; 404 or 403: the account number is not this key's); of the account's properties
  with an electricity supply (an import meter point with an agreement), picks the one whose
  post code is the location's, or offers them (`multiple_available_tariffs`) when several
  match or none does; an account without one has no tariff (`no_available_tariffs`).
  Octopus unreachable (time-outs, refused connections, 429 / 5xx after the client's retries)
  is a failed login saying so, whose page offers the manual path (DISMISS_DIRECT) beside
  trying again; an answer we cannot use is Unavailable (the operator's problem, not the
  customer's). Each refusal is errors.py's `Refusal`: a stable code, logged, and its text.
- `capture` reads the account again (a tariff change is a new agreement: the next refresh
  picks it up), the product, and the rates around now; it answers the import tariff and,
  where the property has an export meter point with a current agreement, the export tariff.
- `convert` answers the import tariff in the SDK schema with its export tariff under `export`
  (integrations/sdk_tariff.py reads both).

The reference kept (sealed, beside the credentials) is the account number, the key (capture
has nothing else to call with), the property id and the meter points' MPANs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tariffconnect.config import Settings
from tariffconnect.core.timeutil import utcnow
from tariffconnect.integrations.adapters.base import (
    Authorised,
    AuthOutcome,
    CaptureOutcome,
    Credentials,
    FailedLogin,
    NoTariffs,
    SeveralTariffs,
    TariffChoice,
    Unavailable,
    Where,
)
from tariffconnect.integrations.octopus import agreements
from tariffconnect.integrations.octopus.answers import (
    Account,
    Agreement,
    ElectricityMeterPoint,
    Property,
)
from tariffconnect.integrations.octopus.client import OctopusClient
from tariffconnect.integrations.octopus.codes import (
    CodeInvalid,
    TariffCode,
    check_account_number,
    check_api_key,
)
from tariffconnect.integrations.octopus.errors import (
    ACCOUNT_NOT_YOURS,
    ACCOUNT_NUMBER_MALFORMED,
    API_KEY_MALFORMED,
    KEY_REJECTED,
    PROPERTY_NOT_ON_ACCOUNT,
    UNREACHABLE,
    OctopusError,
    OctopusKeyRejected,
    OctopusNotFound,
    OctopusRefused,
    OctopusUnavailable,
    Refusal,
)
from tariffconnect.integrations.sdk_tariff import PullFailed
from tariffconnect.webhooks.urls import parse_allowed_networks

log = logging.getLogger("tariffconnect.integrations.octopus")
CURRENT_DAY = timedelta(days=1)
Clock = Callable[[], datetime]


class OctopusAdapter:
    """One running service's view of Octopus (its settings); stateless between calls."""

    fields: tuple[tuple[str, str, str], ...] = (
        ("account_number", "Account number", "text"),
        ("api_key", "API key", "password"),
    )

    def __init__(self, settings: Settings, *, live_mode: bool, clock: Clock = utcnow) -> None:
        self._settings = settings
        self._live_mode = live_mode
        self._clock = clock

    def authorise(self, credentials: Credentials, where: Where = Where()) -> AuthOutcome:
        number = credentials.get("account_number", "").strip().upper()
        key = credentials.get("api_key", "").strip()
        try:
            check_account_number(number)
        except CodeInvalid:
            return _refused(ACCOUNT_NUMBER_MALFORMED)
        try:
            check_api_key(key)
        except CodeInvalid:
            return _refused(API_KEY_MALFORMED)
        try:
            with self._client(key) as client:
                account = client.account(number)
        except OctopusKeyRejected:
            return _refused(KEY_REJECTED)
        except OctopusNotFound:
            return _refused(ACCOUNT_NOT_YOURS)
        except OctopusRefused as error:
            # 403: the key is valid but may not read this account.
            if error.status == 403:
                return _refused(ACCOUNT_NOT_YOURS)
            return Unavailable(f"octopus: {error.message}")
        except OctopusUnavailable as error:
            return _refused(UNREACHABLE, error.message)
        except OctopusError as error:
            return Unavailable(f"octopus: {error.message}")
        chosen = credentials.get("account")
        if chosen is not None:
            prop = next((p for p in account.properties if str(p.id) == chosen), None)
            if prop is None:
                return _refused(PROPERTY_NOT_ON_ACCOUNT)
        else:
            supplied = [p for p in account.properties if _import_points(p)]
            if not supplied:
                return NoTariffs()
            matching = agreements.properties_at(account, where.post_code or "")
            matching = [p for p in matching if p in supplied]
            if len(matching) != 1:
                return _choices(supplied)
            prop = matching[0]
        return _authorised(number, key, prop)

    def capture(self, reference: dict[str, Any]) -> CaptureOutcome:
        """The property's current import tariff (and export, where there is one), in our terms
        (agreements.py); Unavailable when Octopus cannot be asked, PullFailed when what it
        answers cannot be a tariff."""
        now = self._clock()
        try:
            with self._client(str(reference["api_key"])) as client:
                account = client.account(str(reference["account_number"]))
                prop = _property(account, reference)
                point = _point(prop, str(reference["mpan"]))
                tariff = _tariff(client, point, now)
                export_mpan = reference.get("export_mpan")
                export = None
                if export_mpan is not None:
                    export = _export(client, _point(prop, str(export_mpan)), now)
        except OctopusKeyRejected:
            return Unavailable("octopus: the stored API key was refused (401)")
        except OctopusNotFound as error:
            raise PullFailed(f"octopus: {error.message}") from None
        except OctopusError as error:
            return Unavailable(f"octopus: {error.message}")
        return {"import": tariff, "export": export}

    def convert(self, provider_tariff: dict[str, Any]) -> dict[str, Any]:
        """The import tariff, with the export one under `export` when there is one."""
        out = dict(provider_tariff["import"])
        if provider_tariff.get("export") is not None:
            out["export"] = provider_tariff["export"]
        return out

    def _client(self, key: str) -> OctopusClient:
        return OctopusClient(
            base_url=self._settings.octopus_api_url,
            timeout=self._settings.octopus_api_timeout_seconds,
            live_mode=self._live_mode,
            api_key=key,
            allow=parse_allowed_networks(self._settings.webhook_allowed_networks),
        )


def _refused(refusal: Refusal, detail: str | None = None) -> FailedLogin:
    """The failed login the customer reads, logged by its code (`detail`, the client's
    key-free message, says what happened when Octopus could not be asked)."""
    if detail is None:
        log.info("octopus login refused: %s", refusal.code)
    else:
        log.warning("octopus login refused: %s (%s)", refusal.code, detail)
    return FailedLogin(refusal.message)


def _import_points(prop: Property) -> list[ElectricityMeterPoint]:
    """The property's electricity supply: its import meter points with an agreement."""
    return [p for p in agreements.import_points(prop) if p.agreements]


def _choices(properties: list[Property]) -> SeveralTariffs:
    return SeveralTariffs(
        tuple(
            TariffChoice(
                str(p.id),
                ", ".join(part for part in (p.address_line_1, p.town, p.postcode) if part),
                f"{len(agreements.import_points(p))} electricity supply point(s)",
            )
            for p in properties
        )
    )


def _authorised(number: str, key: str, prop: Property) -> AuthOutcome:
    imports = _import_points(prop)
    if not imports:
        return NoTariffs()
    exports = [p for p in agreements.export_points(prop) if p.agreements]
    reference: dict[str, Any] = {
        "account_number": number,
        "api_key": key,
        "property_id": prop.id,
        "mpan": imports[0].mpan,
    }
    if exports:
        reference["export_mpan"] = exports[0].mpan
    return Authorised(reference)


def _property(account: Account, reference: dict[str, Any]) -> Property:
    for prop in account.properties:
        if prop.id == reference["property_id"]:
            return prop
    raise PullFailed("octopus: the property is no longer on the account")


def _point(prop: Property, mpan: str) -> ElectricityMeterPoint:
    for point in prop.electricity_meter_points:
        if point.mpan == mpan:
            return point
    raise PullFailed(f"octopus: meter point {mpan} is no longer at the property")


def _agreement(point: ElectricityMeterPoint, now: datetime) -> tuple[Agreement, TariffCode]:
    agreement = agreements.current_agreement(point, now)
    if agreement is None:
        raise PullFailed(f"octopus: meter point {point.mpan} has no current agreement")
    return agreement, agreements.tariff_code(agreement)


def _name(client: OctopusClient, code: TariffCode) -> str:
    try:
        return client.product(code.product_code).product.display_name
    except OctopusNotFound:
        raise PullFailed(
            f"octopus: the agreement's product {code.product_code} is unknown"
        ) from None


def _tariff(client: OctopusClient, point: ElectricityMeterPoint, now: datetime) -> dict[str, Any]:
    """The import meter point's current tariff."""
    agreement, code = _agreement(point, now)
    name = _name(client, code)
    if agreements.is_agile_import(code):
        standing = _rates(client, code, "standing-charges", now, now + CURRENT_DAY)
        return agreements.market_tariff(name, code, agreement, standing, now)
    if code.is_day_night:
        day = _rates(client, code, "day-unit-rates", now, now + CURRENT_DAY)
        night = _rates(client, code, "night-unit-rates", now, now + CURRENT_DAY)
        standing = _rates(client, code, "standing-charges", now, now + CURRENT_DAY)
        return agreements.day_night_tariff(name, agreement, day, night, standing, now)
    local_day = _whole_day(now)
    start, end = _bounds(local_day)
    units = _rates(client, code, "standard-unit-rates", start, end)
    standing = _rates(client, code, "standing-charges", start, end)
    return agreements.rates_tariff(name, agreement, units, standing, local_day)


def _export(
    client: OctopusClient, point: ElectricityMeterPoint, now: datetime
) -> dict[str, Any] | None:
    """The export meter point's current tariff (Outgoing), or None without a current agreement.
    Agile Outgoing pays half-hourly prices no market source publishes: the pull fails rather
    than store a guess."""
    agreement = agreements.current_agreement(point, now)
    if agreement is None:
        return None
    code = agreements.tariff_code(agreement)
    if code.product_code.startswith(agreements.AGILE_PREFIX):
        raise PullFailed("octopus: Agile Outgoing export prices are not published by a source")
    local_day = _whole_day(now)
    start, end = _bounds(local_day)
    units = _rates(client, code, "standard-unit-rates", start, end)
    return agreements.rates_tariff(_name(client, code), agreement, units, None, local_day)


def _rates(
    client: OctopusClient, code: TariffCode, kind: Any, start: datetime, end: datetime
) -> list[Any]:
    return client.rates(code.code, kind, period_from=start, period_to=end)


def _whole_day(now: datetime) -> date:
    """Today in London, or tomorrow when today's clocks change (its windows are not a day's)."""
    today = now.astimezone(agreements.LONDON).date()
    start, end = _bounds(today)
    return today if end - start == CURRENT_DAY else today + timedelta(days=1)


def _bounds(day: date) -> tuple[datetime, datetime]:
    """The local day's start and end, in UTC (so that their difference is the day's length)."""
    start = datetime.combine(day, time(0), agreements.LONDON).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), agreements.LONDON).astimezone(UTC)
    return start, end
