"""The Python client of the TariffConnect API (and of Flatpeak's, whose wire is the same).

    from tariffconnect_client import Client, verify_webhook

    client = Client(account_id="acc_…", api_key="sk_test_…", base_url="http://localhost:8000")
    location = client.locations.create(postal_address={...})

See docs/sdk.md for the whole tour.
"""

from tariffconnect_client import models
from tariffconnect_client._client import AsyncClient, Client
from tariffconnect_client._core import Call
from tariffconnect_client._version import __version__
from tariffconnect_client.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TariffConnectError,
    UnprocessableError,
    WebhookVerificationError,
)
from tariffconnect_client.webhooks import JwksCache, verify_webhook, verify_webhook_async

__all__ = [
    "APIConnectionError",
    "APIError",
    "AsyncClient",
    "AuthenticationError",
    "Call",
    "Client",
    "ConflictError",
    "InvalidRequestError",
    "JwksCache",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TariffConnectError",
    "UnprocessableError",
    "WebhookVerificationError",
    "__version__",
    "models",
    "verify_webhook",
    "verify_webhook_async",
]
