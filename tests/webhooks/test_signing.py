"""Webhook signatures, checked as a receiver would: from the JWKS, or by recomputing the HMAC."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tariffconnect.config import Settings
from tariffconnect.core.ids import is_valid_id
from tariffconnect.db import Database
from tariffconnect.webhooks import signing
from tariffconnect.webhooks.models import SigningKey

BODY = b'{"event":"tariff.updated","data":{"id":"trf_1"}}'


class _Rollback(Exception):
    pass


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A transaction rolled back at the end, so keys made here never reach other tests."""
    with contextlib.suppress(_Rollback), database.transaction() as db_session:
        yield db_session
        raise _Rollback


@pytest.fixture
def secret(settings: Settings) -> bytes:
    return settings.signing_secret


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def verify_flatpeak(
    jwks: dict[str, list[dict[str, str]]], headers: dict[str, str], body: bytes
) -> None:
    """Verify like a receiver holding nothing but the published JWKS (raises InvalidSignature)."""
    assert headers["Flatpeak-Signature-Scheme"] == "v1"
    jwk = next(k for k in jwks["keys"] if k["kid"] == headers["Flatpeak-Key-ID"])
    n = int.from_bytes(b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(b64url_decode(jwk["e"]), "big")
    public = rsa.RSAPublicNumbers(e, n).public_key()
    scheme, _, signature = headers["Flatpeak-Signature"].partition("=")
    assert scheme == "v1" and "=" not in signature
    message = headers["Flatpeak-Timestamp"].encode() + b"." + body
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    public.verify(b64url_decode(signature), message, pss, hashes.SHA256())


def test_ensure_creates_one_key_then_reuses_it(session: Session, secret: bytes) -> None:
    session.execute(update(SigningKey).values(time_retired=datetime.now(UTC)))
    assert signing.jwks(session) == {"keys": []}
    key = signing.ensure_signing_key(session, secret=secret)
    assert is_valid_id(key.id, "wsk")
    assert signing.ensure_signing_key(session, secret=secret).id == key.id
    jwk = key.public_jwk
    assert signing.jwks(session) == {"keys": [jwk]}
    assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}
    assert (jwk["kty"], jwk["kid"], jwk["use"], jwk["alg"], jwk["e"]) == (
        "RSA",
        key.id,
        "sig",
        "PS256",
        "AQAB",
    )
    assert "=" not in jwk["n"] and len(b64url_decode(jwk["n"])) == 256  # 2048 bits


def test_flatpeak_signature_verifies_with_the_jwks_alone(session: Session, secret: bytes) -> None:
    key = signing.ensure_signing_key(session, secret=secret)
    headers = signing.flatpeak_headers(
        key, secret=secret, body=BODY, timestamp=1_700_000_000, version="2024-06-01"
    )
    assert headers["Flatpeak-Timestamp"] == "1700000000"
    assert headers["Flatpeak-Key-ID"] == key.id
    assert headers["Flatpeak-Version"] == "2024-06-01"
    published = signing.jwks(session)
    verify_flatpeak(published, headers, BODY)
    tampered = bytearray(BODY)
    tampered[10] ^= 1
    with pytest.raises(InvalidSignature):
        verify_flatpeak(published, headers, bytes(tampered))
    with pytest.raises(InvalidSignature):
        verify_flatpeak(published, {**headers, "Flatpeak-Timestamp": "1700000001"}, BODY)


def test_rotation_keeps_old_keys_published(session: Session, secret: bytes) -> None:
    old = signing.ensure_signing_key(session, secret=secret)
    old_headers = signing.flatpeak_headers(old, secret=secret, body=BODY, timestamp=1, version="v")
    new = signing.rotate(session, secret=secret)
    assert new.id != old.id
    assert signing.ensure_signing_key(session, secret=secret).id == new.id
    published = signing.jwks(session)
    kids = [jwk["kid"] for jwk in published["keys"]]
    assert kids[0] == new.id and old.id in kids
    new_headers = signing.flatpeak_headers(new, secret=secret, body=BODY, timestamp=2, version="v")
    assert new_headers["Flatpeak-Key-ID"] == new.id
    verify_flatpeak(published, new_headers, BODY)
    verify_flatpeak(published, old_headers, BODY)  # in-flight deliveries still verify
    new.time_retired = datetime.now(UTC)
    session.flush()
    assert new.id not in [jwk["kid"] for jwk in signing.jwks(session)["keys"]]


def test_private_key_is_encrypted_at_rest(session: Session, secret: bytes) -> None:
    key = signing.rotate(session, secret=secret)
    stored = session.scalars(select(SigningKey.private_key).where(SigningKey.id == key.id)).one()
    assert b"BEGIN" not in stored and b"PRIVATE" not in stored
    assert signing.load_private_key(key, secret=secret).key_size == 2048
    with pytest.raises(InvalidToken):
        signing.load_private_key(key, secret=b"another secret")
    with pytest.raises(InvalidToken):
        signing.flatpeak_headers(key, secret=b"another secret", body=BODY, timestamp=1, version="v")


def test_standard_webhooks_spec_vector() -> None:
    headers = signing.standard_headers(
        endpoint_secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_standard_webhooks_matches_an_independent_hmac() -> None:
    endpoint_secret = signing.new_endpoint_secret()
    assert endpoint_secret.startswith("whsec_")
    key = base64.b64decode(endpoint_secret[len("whsec_") :], validate=True)
    assert len(key) == 32
    assert signing.new_endpoint_secret() != endpoint_secret
    headers = signing.standard_headers(
        endpoint_secret=endpoint_secret, msg_id="evt_1", timestamp=1700000000, body=BODY
    )
    expected = hmac.new(key, b"evt_1.1700000000." + BODY, hashlib.sha256).digest()
    version, _, signature = headers["webhook-signature"].partition(",")
    assert version == "v1"
    assert hmac.compare_digest(base64.b64decode(signature), expected)


def test_seal_round_trips_and_needs_the_secret(secret: bytes) -> None:
    endpoint_secret = signing.new_endpoint_secret()
    blob = signing.seal(endpoint_secret, secret=secret)
    assert endpoint_secret.encode() not in blob
    assert signing.unseal(blob, secret=secret) == endpoint_secret
    with pytest.raises(InvalidToken):
        signing.unseal(blob, secret=b"another secret")
    # A different HKDF info: a sealed endpoint secret is not a signing-key token, nor vice versa.
    with pytest.raises(InvalidToken):
        signing._fernet(secret, signing.KEY_INFO).decrypt(blob)
