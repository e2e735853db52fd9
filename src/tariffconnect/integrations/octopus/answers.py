"""The Octopus REST API's answers as typed values: Decimal money (pence, as published), aware
datetimes, and an OctopusAnswerInvalid naming the field when an answer is not shaped as the
developer docs show it. Fields the docs mark optional may be absent or null; the rest must be
there, so a half answer never becomes a guessed tariff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tariffconnect.integrations.octopus.codes import GSP_GROUPS
from tariffconnect.integrations.octopus.errors import OctopusAnswerInvalid

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Agreement:
    tariff_code: str
    valid_from: datetime
    valid_to: datetime | None  # None: open-ended


@dataclass(frozen=True, slots=True)
class Register:
    identifier: str
    rate: str | None  # "STANDARD", "DAY", "NIGHT", ...
    is_settlement_register: bool


@dataclass(frozen=True, slots=True)
class Meter:
    serial_number: str
    registers: tuple[Register, ...]


@dataclass(frozen=True, slots=True)
class ElectricityMeterPoint:
    mpan: str
    is_export: bool
    profile_class: int | None
    consumption_standard: int | None
    meters: tuple[Meter, ...]
    agreements: tuple[Agreement, ...]


@dataclass(frozen=True, slots=True)
class Property:
    id: int
    moved_in_at: datetime | None
    moved_out_at: datetime | None
    address_line_1: str
    address_line_2: str
    address_line_3: str
    town: str
    county: str
    postcode: str
    electricity_meter_points: tuple[ElectricityMeterPoint, ...]


@dataclass(frozen=True, slots=True)
class Account:
    number: str
    properties: tuple[Property, ...]


@dataclass(frozen=True, slots=True)
class Product:
    """A row of `GET /v1/products/`."""

    code: str
    direction: str | None  # "IMPORT" or "EXPORT"
    full_name: str
    display_name: str
    description: str
    is_variable: bool
    is_green: bool
    is_tracker: bool
    is_prepay: bool
    is_business: bool
    is_restricted: bool
    term: int | None  # months, for fixed products
    available_from: datetime | None
    available_to: datetime | None  # None: still on sale
    brand: str | None


@dataclass(frozen=True, slots=True)
class RegionalTariff:
    """One region's tariff for one payment method, in pence (per kWh; per day for standing)."""

    code: str
    standing_charge_exc_vat: Decimal
    standing_charge_inc_vat: Decimal
    standard_unit_rate_exc_vat: Decimal | None  # single register
    standard_unit_rate_inc_vat: Decimal | None
    day_unit_rate_exc_vat: Decimal | None  # dual register
    day_unit_rate_inc_vat: Decimal | None
    night_unit_rate_exc_vat: Decimal | None
    night_unit_rate_inc_vat: Decimal | None


# region letter ("A" … "P") -> payment method ("direct_debit_monthly", "varying", …) -> tariff
RegionalTariffs = dict[str, dict[str, RegionalTariff]]


@dataclass(frozen=True, slots=True)
class ProductDetail:
    """`GET /v1/products/{code}/`: the product and its electricity tariffs per region."""

    product: Product
    tariffs_active_at: datetime | None
    single_register_electricity_tariffs: RegionalTariffs
    dual_register_electricity_tariffs: RegionalTariffs


@dataclass(frozen=True, slots=True)
class Rate:
    """A unit rate (pence/kWh) or standing charge (pence/day) over [valid_from, valid_to)."""

    value_exc_vat: Decimal
    value_inc_vat: Decimal
    valid_from: datetime
    valid_to: datetime | None  # None: open-ended
    payment_method: str | None  # "DIRECT_DEBIT", "NON_DIRECT_DEBIT" or null


# --- parsing ---------------------------------------------------------------------------


def account(data: Any) -> Account:
    row = _object(data, "account")
    return Account(
        number=_str(row, "number", "account"),
        properties=tuple(_property(p) for p in _list(row, "properties", "account")),
    )


def product(data: Any) -> Product:
    row = _object(data, "product")
    return Product(
        code=_str(row, "code", "product"),
        direction=_opt_str(row, "direction", "product"),
        full_name=_str(row, "full_name", "product"),
        display_name=_str(row, "display_name", "product"),
        description=_opt_str(row, "description", "product") or "",
        is_variable=_bool(row, "is_variable", "product"),
        is_green=_bool(row, "is_green", "product"),
        is_tracker=_bool(row, "is_tracker", "product"),
        is_prepay=_bool(row, "is_prepay", "product"),
        is_business=_bool(row, "is_business", "product"),
        is_restricted=_bool(row, "is_restricted", "product"),
        term=_opt_int(row, "term", "product"),
        available_from=_opt_time(row, "available_from", "product"),
        available_to=_opt_time(row, "available_to", "product"),
        brand=_opt_str(row, "brand", "product"),
    )


def product_detail(data: Any) -> ProductDetail:
    row = _object(data, "product")
    return ProductDetail(
        product=product(row),
        tariffs_active_at=_opt_time(row, "tariffs_active_at", "product"),
        single_register_electricity_tariffs=_regional(
            row, "single_register_electricity_tariffs", ("standard_unit_rate",)
        ),
        dual_register_electricity_tariffs=_regional(
            row, "dual_register_electricity_tariffs", ("day_unit_rate", "night_unit_rate")
        ),
    )


def rate(data: Any) -> Rate:
    row = _object(data, "rate")
    return Rate(
        value_exc_vat=_decimal(row, "value_exc_vat", "rate"),
        value_inc_vat=_decimal(row, "value_inc_vat", "rate"),
        valid_from=_time(row, "valid_from", "rate"),
        valid_to=_opt_time(row, "valid_to", "rate"),
        payment_method=_opt_str(row, "payment_method", "rate"),
    )


def _property(data: Any) -> Property:
    row = _object(data, "property")
    what = "property"
    return Property(
        id=_int(row, "id", what),
        moved_in_at=_opt_time(row, "moved_in_at", what),
        moved_out_at=_opt_time(row, "moved_out_at", what),
        address_line_1=_opt_str(row, "address_line_1", what) or "",
        address_line_2=_opt_str(row, "address_line_2", what) or "",
        address_line_3=_opt_str(row, "address_line_3", what) or "",
        town=_opt_str(row, "town", what) or "",
        county=_opt_str(row, "county", what) or "",
        postcode=_str(row, "postcode", what),
        electricity_meter_points=tuple(
            _meter_point(p) for p in _list(row, "electricity_meter_points", what)
        ),
    )


def _meter_point(data: Any) -> ElectricityMeterPoint:
    row = _object(data, "meter point")
    what = "meter point"
    return ElectricityMeterPoint(
        mpan=_str(row, "mpan", what),
        is_export=_bool(row, "is_export", what),
        profile_class=_opt_int(row, "profile_class", what),
        consumption_standard=_opt_int(row, "consumption_standard", what),
        meters=tuple(_meter(m) for m in _list(row, "meters", what, default=[])),
        agreements=tuple(_agreement(a) for a in _list(row, "agreements", what)),
    )


def _meter(data: Any) -> Meter:
    row = _object(data, "meter")
    registers = []
    for item in _list(row, "registers", "meter", default=[]):
        reg = _object(item, "register")
        registers.append(
            Register(
                identifier=_str(reg, "identifier", "register"),
                rate=_opt_str(reg, "rate", "register"),
                is_settlement_register=_bool(reg, "is_settlement_register", "register"),
            )
        )
    return Meter(serial_number=_str(row, "serial_number", "meter"), registers=tuple(registers))


def _agreement(data: Any) -> Agreement:
    row = _object(data, "agreement")
    return Agreement(
        tariff_code=_str(row, "tariff_code", "agreement"),
        valid_from=_time(row, "valid_from", "agreement"),
        valid_to=_opt_time(row, "valid_to", "agreement"),
    )


def _regional(row: Json, key: str, rates: tuple[str, ...]) -> RegionalTariffs:
    """`{"_A": {"direct_debit_monthly": {...}}, ...}` keyed by region letter; a product without
    that kind of tariff may leave the key out or answer {}."""
    groups = row.get(key, {})
    if groups is None:
        groups = {}
    groups = _object(groups, key)
    found: RegionalTariffs = {}
    for group, methods in groups.items():
        letter = group[1:] if isinstance(group, str) and group.startswith("_") else ""
        if letter not in GSP_GROUPS:
            raise OctopusAnswerInvalid(f"the Octopus answer has an unknown GSP group in {key}")
        found[letter] = {
            method: _regional_tariff(tariff, key, rates)
            for method, tariff in _object(methods, key).items()
        }
    return found


def _regional_tariff(data: Any, key: str, rates: tuple[str, ...]) -> RegionalTariff:
    row = _object(data, key)
    unit = {
        f"{name}_{vat}": _decimal(row, f"{name}_{vat}", key)
        for name in rates
        for vat in ("exc_vat", "inc_vat")
    }
    return RegionalTariff(
        code=_str(row, "code", key),
        standing_charge_exc_vat=_decimal(row, "standing_charge_exc_vat", key),
        standing_charge_inc_vat=_decimal(row, "standing_charge_inc_vat", key),
        standard_unit_rate_exc_vat=unit.get("standard_unit_rate_exc_vat"),
        standard_unit_rate_inc_vat=unit.get("standard_unit_rate_inc_vat"),
        day_unit_rate_exc_vat=unit.get("day_unit_rate_exc_vat"),
        day_unit_rate_inc_vat=unit.get("day_unit_rate_inc_vat"),
        night_unit_rate_exc_vat=unit.get("night_unit_rate_exc_vat"),
        night_unit_rate_inc_vat=unit.get("night_unit_rate_inc_vat"),
    )


# --- fields ------------------------------------------------------------------------------


def _bad(what: str, key: str, expected: str) -> OctopusAnswerInvalid:
    return OctopusAnswerInvalid(f"the Octopus answer's {what} has no {expected} {key}")


def _object(value: Any, what: str) -> Json:
    if not isinstance(value, dict):
        raise OctopusAnswerInvalid(f"the Octopus answer's {what} is not an object")
    return value


def _list(row: Json, key: str, what: str, *, default: list[Any] | None = None) -> list[Any]:
    value = row.get(key, default)
    if not isinstance(value, list):
        raise _bad(what, key, "list")
    return value


def _str(row: Json, key: str, what: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(what, key, "text")
    return value


def _opt_str(row: Json, key: str, what: str) -> str | None:
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad(what, key, "text")
    return value


def _bool(row: Json, key: str, what: str) -> bool:
    value = row.get(key)
    if not isinstance(value, bool):
        raise _bad(what, key, "true/false")
    return value


def _int(row: Json, key: str, what: str) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(what, key, "whole number")
    return value


def _opt_int(row: Json, key: str, what: str) -> int | None:
    return None if row.get(key) is None else _int(row, key, what)


def _decimal(row: Json, key: str, what: str) -> Decimal:
    """A number as published; the JSON is parsed with Decimal floats, so nothing is rounded."""
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _bad(what, key, "number")
    number = Decimal(value)
    if not number.is_finite():
        raise _bad(what, key, "finite number")
    return number


def _time(row: Json, key: str, what: str) -> datetime:
    value = row.get(key)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise _bad(what, key, "time with an offset")


def _opt_time(row: Json, key: str, what: str) -> datetime | None:
    return None if row.get(key) is None else _time(row, key, what)
