"""The shapes of what a customer types and what Octopus names: account numbers, API keys and
tariff codes. Checked before any call, so a typo never reaches Octopus and nothing odd ends
up in a URL path.

- Account numbers are printed as `A-` and 8 hexadecimal characters, upper case
  (`A-1234ABCD`); anything else is refused, lower case included (the shape Octopus prints).
- API keys are issued from the dashboard as `sk_live_` and a run of letters and digits (24 of
  them in the keys seen in the wild); 16 to 64 are accepted so a longer key Octopus may issue
  later is not refused, while a pasted fragment or a stray character still is.
- Tariff codes are `{fuel}-{registers}R-{product code}-{GSP group letter}`:
  `E-1R-AGILE-24-10-01-C` is product `AGILE-24-10-01` in region C on one register;
  `E-2R-…` is a day/night (Economy 7) tariff with two registers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACCOUNT_NUMBER_RE = re.compile(r"A-[0-9A-F]{8}")
API_KEY_RE = re.compile(r"sk_live_[A-Za-z0-9]{16,64}")
PRODUCT_CODE_RE = re.compile(r"[A-Z0-9](?:[A-Z0-9-]{0,78}[A-Z0-9])?")
TARIFF_CODE_RE = re.compile(
    r"(?P<fuel>[EG])-(?P<registers>[12])R-(?P<product>[A-Z0-9][A-Z0-9-]{0,78}[A-Z0-9])"
    r"-(?P<region>[A-P])"
)
GSP_GROUPS = tuple("ABCDEFGHJKLMNP")  # the 14 regions; Octopus has no I or O


class CodeInvalid(ValueError):
    """A value that is not shaped as Octopus shapes it; `code` is stable, the message is
    safe to show (it never repeats the value, which may be a key)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class TariffCode:
    """A tariff code taken apart."""

    code: str
    fuel: str  # "E" electricity, "G" gas
    registers: int  # 1 single rate, 2 day/night
    product_code: str
    region: str  # the GSP group letter, "A" … "P"

    @property
    def is_day_night(self) -> bool:
        return self.registers == 2


def parse_tariff_code(code: str) -> TariffCode:
    """`code` taken apart; CodeInvalid when it is not a tariff code of a GB region."""
    match = TARIFF_CODE_RE.fullmatch(code) if isinstance(code, str) else None
    if match is None or match["region"] not in GSP_GROUPS:
        raise CodeInvalid("octopus_tariff_code_invalid", "not an Octopus tariff code")
    return TariffCode(
        code=code,
        fuel=match["fuel"],
        registers=int(match["registers"]),
        product_code=match["product"],
        region=match["region"],
    )


def check_account_number(value: str) -> str:
    """`value` when it is an account number as Octopus prints it (`A-1234ABCD`)."""
    if not isinstance(value, str) or ACCOUNT_NUMBER_RE.fullmatch(value) is None:
        raise CodeInvalid(
            "octopus_account_number_invalid",
            "the account number must be A- and 8 characters 0-9 or A-F, as on the bill",
        )
    return value


def check_api_key(value: str) -> str:
    """`value` when it is shaped as an Octopus API key (`sk_live_…`)."""
    if not isinstance(value, str) or API_KEY_RE.fullmatch(value) is None:
        raise CodeInvalid(
            "octopus_api_key_invalid",
            "the API key must be the sk_live_ key shown on the Octopus dashboard",
        )
    return value


def check_product_code(value: str) -> str:
    """`value` when it is shaped as an Octopus product code (it goes into a URL path)."""
    if not isinstance(value, str) or PRODUCT_CODE_RE.fullmatch(value) is None:
        raise CodeInvalid("octopus_product_code_invalid", "not an Octopus product code")
    return value


def gsp_group(region: str) -> str:
    """The API's key for a region letter: "C" -> "_C"."""
    if region not in GSP_GROUPS:
        raise CodeInvalid("octopus_region_invalid", "not a GB region letter (A to P)")
    return f"_{region}"
