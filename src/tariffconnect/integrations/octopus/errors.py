"""What can go wrong talking to Octopus, one type per thing a caller decides on. Each carries a
stable `code` and a message safe to show or log: never the API key, never a raw answer."""

from __future__ import annotations


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
