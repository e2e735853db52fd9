"""What the hosted pages' form code shares: a field's problem, the refusal of a form, and
reading the numbers, times and render data a form deals in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tariffconnect.connect.flow import inputs as machine_inputs
from tariffconnect.connect.flow.describe import N_
from tariffconnect.connect.web.numbers import decimals_for, parse_number


@dataclass(frozen=True, slots=True)
class FieldError:
    """A problem with one field (`field` None: with the page as a whole).

    `message` is an English msgid (translated when shown, then formatted with `params`)
    unless `translated` is False, which marks the machine's own message for a code the pages
    have no text for.
    """

    field: str | None
    code: str
    message: str
    translated: bool = True
    params: tuple[tuple[str, str], ...] = ()


class FormInvalid(Exception):
    """The form cannot become a request; nothing was sent to the machine."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(error.code for error in errors))
        self.errors = errors


def amount(
    form: Mapping[str, str],
    name: str,
    factor: int,
    *,
    required: str | None,
    places: int | None = None,
) -> float:
    """The number in field `name` divided by factor, as the machine's float. Empty is 0 when
    the field is optional (`required` None), else the error `required`."""
    text = form.get(name, "")
    allowed = decimals_for(factor) if places is None else min(places, decimals_for(factor))
    try:
        value = parse_number(text, allowed)
    except ValueError as error:
        code = f"{name}_invalid"
        if str(error) != "too many decimals":
            raise FormInvalid([FieldError(name, code, N_("Enter a number, like 24.5."))]) from None
        message = N_("Enter a number with at most %(places)s decimal places.")
        params = (("places", str(allowed)),)
        raise FormInvalid([FieldError(name, code, message, params=params)]) from None
    if value is None:
        if required is not None:
            raise FormInvalid([FieldError(name, f"{name}_missing", required)])
        return 0.0
    return float(value / factor)


def clock_time(text: str) -> str | None:
    """`HH:MM` or `HH:MM:SS` as the machine's `HH:MM:SS`; None when it is neither."""
    match = machine_inputs.TIME_OF_DAY.fullmatch(text.strip())
    if match is None:
        return None
    return f"{match.group(1)}:{match.group(2)}:{match.group(3) or '00'}"


def mapping_of(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""
