"""What can go wrong talking to Octopus, one type per thing a caller decides on. Each carries a
stable `code` and a message safe to show or log: never the API key, never a raw answer.

Below them, why a login on the hosted auth page is refused (`Refusal`): a stable code (in the
logs) and the English text the customer is shown (`failed_login`'s `message`; the auth page's
failed_login template shows it in the page's language, matched by this text)."""

from __future__ import annotations

from dataclasses import dataclass


class OctopusError(Exception):
    """The base: something went wrong with an Octopus call."""

    code = "octopus_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OctopusKeyRejected(OctopusError):
    """HTTP 401: the API key is wrong, or was replaced on the dashboard (expired)."""

    code = "octopus_key_rejected"


class OctopusNotFound(OctopusError):
    """HTTP 404: no such account (or not this key's), product or tariff."""

    code = "octopus_not_found"


class OctopusUnavailable(OctopusError):
    """Octopus could not be reached, timed out, or kept answering 429 / 5xx after retries."""

    code = "octopus_unavailable"


class OctopusRefused(OctopusError):
    """Another 4xx: the request was refused and asking again will not change that."""

    code = "octopus_refused"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class OctopusAnswerInvalid(OctopusError):
    """An answer not shaped as the API documents it (a missing field, a wrong type, a `next`
    chain that loops or leaves the API)."""

    code = "octopus_answer_invalid"


class OctopusAddressRefused(OctopusError):
    """The configured API URL is not one we may call (plain http in live mode, a private
    address the operator did not allow)."""

    code = "octopus_address_refused"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the customer's login is refused: `code` is stable, `message` is what they read."""

    code: str
    message: str


ACCOUNT_NUMBER_MALFORMED = Refusal(
    "octopus_account_number_malformed",
    "The account number is A- and 8 characters, as on your Octopus bill.",
)
API_KEY_MALFORMED = Refusal(
    "octopus_api_key_malformed",
    "The API key starts with sk_live_: copy it from your Octopus dashboard.",
)
KEY_REJECTED = Refusal(
    "octopus_key_rejected",
    "Octopus did not accept this API key. Check it on your Octopus dashboard.",
)
ACCOUNT_NOT_YOURS = Refusal(
    "octopus_account_not_yours",
    "This account number is not right, or not the API key's account.",
)
PROPERTY_NOT_ON_ACCOUNT = Refusal(
    "octopus_property_not_on_account", "That property is not one of this account's."
)
UNREACHABLE = Refusal(
    "octopus_unreachable",
    "Octopus cannot be reached just now. Try again in a few minutes, or set your tariff manually.",
)
