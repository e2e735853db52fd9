"""Verifying webhook deliveries: Flatpeak's PS256 signature and Standard Webhooks' HMAC.

Flatpeak's scheme signs `f"{Flatpeak-Timestamp}." + body` with RSA-PSS SHA-256 (salt 32) under
the key `Flatpeak-Key-ID` names, published at the API's `/jwks.json`. Standard Webhooks signs
`f"{webhook-id}.{webhook-timestamp}." + body` with HMAC-SHA256 under the endpoint's `whsec_`
secret. Either way a timestamp more than five minutes away from now is refused, so a recorded
delivery cannot be replayed later.

Keys are cached per JWKS URL and fetched again when a delivery names a `kid` the cache does not
hold (the service rotated its key). A fetch that fails refuses the delivery: nothing is ever
accepted unverified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tariffconnect_client.errors import WebhookVerificationError
from tariffconnect_client.models import Event

TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
JWKS_TIMEOUT = 10.0


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_keys(jwks: Any) -> dict[str, rsa.RSAPublicKey]:
    """The RSA keys of a JWKS document, by `kid`; anything else in it is ignored."""
    keys: dict[str, rsa.RSAPublicKey] = {}
    for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if (
            not isinstance(jwk, dict)
            or jwk.get("kty") != "RSA"
            or jwk.get("alg", "PS256") != "PS256"
        ):
            continue
        try:
            n = int.from_bytes(_b64url_decode(jwk["n"]), "big")
            e = int.from_bytes(_b64url_decode(jwk["e"]), "big")
            keys[str(jwk["kid"])] = rsa.RSAPublicNumbers(e, n).public_key()
        except (KeyError, TypeError, ValueError, binascii.Error):
            continue
    return keys


def _fetch_failed(url: str, error: Exception | None = None) -> WebhookVerificationError:
    reason = type(error).__name__ if error else "not a JWKS document"
    return WebhookVerificationError(f"could not fetch the signing keys from {url} ({reason})")


def _parse_jwks(url: str, response: httpx.Response) -> dict[str, rsa.RSAPublicKey]:
    if response.status_code != 200:
        raise _fetch_failed(url, httpx.HTTPStatusError(
            str(response.status_code), request=response.request, response=response))  # fmt: skip
    try:
        return public_keys(response.json())
    except ValueError as error:
        raise _fetch_failed(url, error) from error


class JwksCache:
    """The keys at one JWKS URL, fetched on first use and again for an unknown `kid`."""

    def __init__(self, url: str, http: httpx.Client | None = None) -> None:
        self.url = url
        self._http = http
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid: str) -> rsa.RSAPublicKey:
        with self._lock:
            if kid not in self._keys:
                self._keys = self._fetch()
            return _known(self._keys, kid)

    def _fetch(self) -> dict[str, rsa.RSAPublicKey]:
        self.fetches += 1
        try:
            if self._http is None:
                response = httpx.get(self.url, timeout=JWKS_TIMEOUT)
            else:
                response = self._http.get(self.url, timeout=JWKS_TIMEOUT)
        except httpx.HTTPError as error:
            raise _fetch_failed(self.url, error) from error
        return _parse_jwks(self.url, response)


class AsyncJwksCache:
    """`JwksCache` for asyncio."""

    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self._http = http
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self.fetches = 0

    async def key(self, kid: str) -> rsa.RSAPublicKey:
        if kid not in self._keys:
            self.fetches += 1
            try:
                response = await self._http.get(self.url, timeout=JWKS_TIMEOUT)
            except httpx.HTTPError as error:
                raise _fetch_failed(self.url, error) from error
            self._keys = _parse_jwks(self.url, response)
        return _known(self._keys, kid)


def _known(keys: Mapping[str, rsa.RSAPublicKey], kid: str) -> rsa.RSAPublicKey:
    if kid not in keys:
        raise WebhookVerificationError(f"no published key has the id {kid!r}")
    return keys[kid]


_caches: dict[str, JwksCache] = {}
_caches_lock = threading.Lock()


def _cache_for(url: str) -> JwksCache:
    with _caches_lock:
        return _caches.setdefault(url, JwksCache(url))


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise WebhookVerificationError(f"the {name} header is missing")
    return value


def _check_timestamp(text: str, now: float | None) -> None:
    try:
        timestamp = int(text)
    except ValueError:
        raise WebhookVerificationError("the timestamp is not a number") from None
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        raise WebhookVerificationError("the timestamp is more than 5 minutes from now")


def _flatpeak_parts(headers: Mapping[str, str], now: float | None) -> tuple[str, str, list[bytes]]:
    """The timestamp, key id and signatures of a Flatpeak-signed delivery, timestamp checked."""
    timestamp = _header(headers, "flatpeak-timestamp")
    kid = _header(headers, "flatpeak-key-id")
    signatures = []
    for part in _header(headers, "flatpeak-signature").replace(",", " ").split():
        if part.startswith("v1="):
            try:
                signatures.append(_b64url_decode(part.removeprefix("v1=")))
            except (ValueError, binascii.Error):
                continue
    if not signatures:
        raise WebhookVerificationError("Flatpeak-Signature holds no v1 signature")
    _check_timestamp(timestamp, now)
    return timestamp, kid, signatures


def _verify_flatpeak(
    key: rsa.RSAPublicKey, timestamp: str, signatures: list[bytes], body: bytes
) -> None:
    signed = f"{timestamp}.".encode() + body
    for signature in signatures:
        try:
            key.verify(signature, signed, PSS, hashes.SHA256())
            return
        except InvalidSignature:
            continue
    raise WebhookVerificationError("the Flatpeak signature does not match the body")


def _verify_standard(
    headers: Mapping[str, str], body: bytes, secret: str, now: float | None
) -> None:
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    _check_timestamp(timestamp, now)
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("the secret is not a whsec_ secret") from None
    expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for part in _header(headers, "webhook-signature").split():
        version, _, signature = part.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(signature, validate=True)
        except (ValueError, binascii.Error):
            continue
        if hmac.compare_digest(given, expected):
            return
    raise WebhookVerificationError("the webhook-signature does not match the body")


def _event(body: bytes) -> Event:
    try:
        return Event.model_validate(json.loads(body))
    except ValueError as error:
        raise WebhookVerificationError("the body is not an event object") from error


def _schemes(secret: str | None, keys: object | None) -> None:
    if secret is None and keys is None:
        raise ValueError("give secret= (Standard Webhooks) or jwks_url= (Flatpeak), or both")


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str | None = None,
    jwks_url: str | None = None,
    jwks: JwksCache | None = None,
    now: float | None = None,
) -> Event:
    """The delivered event, once every signature you can check holds; else raises.

    `secret`: the endpoint's `whsec_` secret, to check Standard Webhooks' signature. `jwks_url`
    (`https://…/jwks.json`) or a client's `jwks`: to check Flatpeak's. Give one or both; each one
    given must hold. Pass the raw body exactly as received, before any JSON parsing.
    """
    keys = jwks or (_cache_for(jwks_url) if jwks_url else None)
    _schemes(secret, keys)
    headers = _lower(headers)
    if secret is not None:
        _verify_standard(headers, body, secret, now)
    if keys is not None:
        timestamp, kid, signatures = _flatpeak_parts(headers, now)
        _verify_flatpeak(keys.key(kid), timestamp, signatures, body)
    return _event(body)


async def verify_webhook_async(
    headers: Mapping[str, str],
    body: bytes,
    *,
    jwks: AsyncJwksCache | None = None,
    secret: str | None = None,
    now: float | None = None,
) -> Event:
    """`verify_webhook` with an `AsyncClient`'s key cache (`client.webhooks.verify` calls it)."""
    _schemes(secret, jwks)
    headers = _lower(headers)
    if secret is not None:
        _verify_standard(headers, body, secret, now)
    if jwks is not None:
        timestamp, kid, signatures = _flatpeak_parts(headers, now)
        _verify_flatpeak(await jwks.key(kid), timestamp, signatures, body)
    return _event(body)
