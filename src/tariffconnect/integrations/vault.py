"""Sealing credentials with the secret key: AES-GCM under a key derived with HKDF-SHA256.

A sealed blob is a random 96-bit nonce followed by the ciphertext (with its tag) of the JSON
payload; a wrong key or any changed byte fails the tag, so `unseal` never returns junk.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"tariffconnect auth metadata"
NONCE_BYTES = 12


class VaultError(Exception):
    """The blob does not open with this secret (another key, or tampered with)."""


def _key(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret)


def seal(secret: bytes, payload: dict[str, Any]) -> bytes:
    """The payload as JSON, encrypted and authenticated under a key derived from `secret`."""
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(payload, separators=(",", ":")).encode()
    return nonce + AESGCM(_key(secret)).encrypt(nonce, plain, None)


def unseal(secret: bytes, blob: bytes) -> dict[str, Any]:
    """The payload `seal` sealed; VaultError when the blob does not open."""
    if len(blob) <= NONCE_BYTES:
        raise VaultError("the sealed blob is too short")
    try:
        plain = AESGCM(_key(secret)).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], None)
    except InvalidTag:
        raise VaultError("the sealed blob does not open with this key") from None
    payload = json.loads(plain)
    if not isinstance(payload, dict):
        raise VaultError("the sealed payload is not an object")
    return payload
