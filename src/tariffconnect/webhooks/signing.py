"""Webhook signatures: Flatpeak's RSA scheme (keys published as JWKS) and Standard Webhooks.

Flatpeak scheme: the service holds RSA-2048 keys (`SigningKey`; the id is the JWKS `kid`). A
delivery carries `Flatpeak-Signature: v1=<sig>`, where `<sig>` is the base64url (no padding)
RSASSA-PSS signature (SHA-256, MGF1-SHA256, salt length 32: JWA's "PS256") over the bytes
`f"{timestamp}."` followed by the raw body, together with `Flatpeak-Timestamp`, `Flatpeak-Key-ID`
(which JWKS key verifies it), `Flatpeak-Signature-Scheme: v1` and `Flatpeak-Version`. Receivers
need only the public JWKS.

Standard Webhooks (https://www.standardwebhooks.com, symmetric "v1"): each endpoint has a secret
`whsec_<base64 of 32 random bytes>`; `webhook-signature` is `v1,<base64 HMAC-SHA256>` over
`f"{msg_id}.{timestamp}."` followed by the raw body, keyed with the decoded secret.

At rest, private keys and endpoint secrets are Fernet tokens under keys derived from the service
secret with HKDF-SHA256 (a different `info` per use), so a database dump alone reveals neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.ids import new_id
from tariffconnect.webhooks.models import SigningKey

KEY_INFO = b"tariffconnect webhook signing keys"
ENDPOINT_SECRET_INFO = b"tariffconnect webhook endpoint secrets"
PSS_SALT_LENGTH = 32
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)
ENDPOINT_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


@lru_cache(maxsize=16)
def _fernet(secret: bytes, info: bytes) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret)))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_uint(value: int) -> str:
    """An unsigned integer as big-endian bytes, shortest form, base64url (RFC 7518 §6.3.1)."""
    return _b64url(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


# -- Flatpeak: RSA keys and JWKS ----------------------------------------------------------------


def _create_key(session: Session, *, secret: bytes) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    numbers = private.public_key().public_numbers()
    kid = new_id("wsk")
    key = SigningKey(
        id=kid,
        private_key=_fernet(secret, KEY_INFO).encrypt(pem),
        public_jwk={
            "kty": "RSA",
            "kid": kid,
            "use": "sig",
            "alg": "PS256",
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
        },
        time_created=datetime.now(UTC),
        time_retired=None,
    )
    session.add(key)
    session.flush()
    return key


def _unretired(session: Session) -> list[SigningKey]:
    query = (
        select(SigningKey)
        .where(SigningKey.time_retired.is_(None))
        .order_by(SigningKey.time_created.desc(), SigningKey.id.desc())
    )
    return list(session.scalars(query))


def ensure_signing_key(session: Session, *, secret: bytes) -> SigningKey:
    """The newest unretired key, creating one if there is none.

    No lock: two processes starting on an empty table may each create a key. That is harmless,
    since every unretired key is published in the JWKS and the newest one signs from then on.
    """
    keys = _unretired(session)
    return keys[0] if keys else _create_key(session, secret=secret)


def rotate(session: Session, *, secret: bytes) -> SigningKey:
    """Create a new key, which signs from now on.

    Older keys stay unretired and so published, so receivers can still verify deliveries signed
    (or retried) with them. `time_retired` is there for a later "retire old keys" command, which
    removes a key from the JWKS once nothing signed with it can still be in flight.
    """
    return _create_key(session, secret=secret)


def jwks(session: Session) -> dict[str, list[dict[str, str]]]:
    """The JSON Web Key Set (RFC 7517) of every unretired key, newest first."""
    return {"keys": [dict(key.public_jwk) for key in _unretired(session)]}


@lru_cache(maxsize=64)
def _load_private_key(kid: str, blob: bytes, secret: bytes) -> rsa.RSAPrivateKey:
    pem = _fernet(secret, KEY_INFO).decrypt(blob)
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise TypeError(f"signing key {kid} is not an RSA key")
    return private


def load_private_key(key: SigningKey, *, secret: bytes) -> rsa.RSAPrivateKey:
    """The decrypted private key, cached in-process (decrypting and parsing PEM is slow).

    The cache is keyed by kid and also by the stored bytes and secret, so a wrong secret fails
    (`cryptography.fernet.InvalidToken`) even after the right one has been used.
    """
    return _load_private_key(key.id, key.private_key, secret)


def flatpeak_headers(
    key: SigningKey, *, secret: bytes, body: bytes, timestamp: int, version: str
) -> dict[str, str]:
    """The Flatpeak signature headers for one delivery attempt of `body`."""
    signature = load_private_key(key, secret=secret).sign(
        f"{timestamp}.".encode() + body, PSS, hashes.SHA256()
    )
    return {
        "Flatpeak-Signature": f"v1={_b64url(signature)}",
        "Flatpeak-Signature-Scheme": "v1",
        "Flatpeak-Timestamp": str(timestamp),
        "Flatpeak-Key-ID": key.id,
        "Flatpeak-Version": version,
    }


# -- Standard Webhooks --------------------------------------------------------------------------


def new_endpoint_secret() -> str:
    """A fresh endpoint secret: `whsec_` + standard base64 (padded) of 32 random bytes."""
    return ENDPOINT_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_headers(
    *, endpoint_secret: str, msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers for one delivery attempt of `body`."""
    key = base64.b64decode(endpoint_secret.removeprefix(ENDPOINT_SECRET_PREFIX))
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def seal(value: str, *, secret: bytes) -> bytes:
    """Encrypt an endpoint secret for storage (Fernet: AES-128-CBC + HMAC-SHA256)."""
    return _fernet(secret, ENDPOINT_SECRET_INFO).encrypt(value.encode())


def unseal(blob: bytes, *, secret: bytes) -> str:
    """Decrypt what `seal` stored; raises `cryptography.fernet.InvalidToken` on a wrong secret.

    Cached in-process by the stored bytes and the secret (the worker unseals its endpoints'
    secrets on every attempt): a wrong secret still fails, and a new secret is new bytes."""
    return _unseal(blob, secret)


@lru_cache(maxsize=256)
def _unseal(blob: bytes, secret: bytes) -> str:
    return _fernet(secret, ENDPOINT_SECRET_INFO).decrypt(blob).decode()
