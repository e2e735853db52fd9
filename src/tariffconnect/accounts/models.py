"""Accounts and their API keys (keys are stored only as SHA-256 hashes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core import versions
from tariffconnect.db.base import ID_LENGTH, Base, id_column


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    time_created: Mapped[datetime]
    # The release (`Flatpeak-Version`) a request answers in when it names none.
    flatpeak_version: Mapped[str] = mapped_column(
        String(32), default=versions.DEFAULT, server_default=versions.DEFAULT
    )


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = id_column()
    account_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("accounts.id"), index=True
    )
    live_mode: Mapped[bool]
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Enough of the key to recognise it in a list (`sk_test_…3f9a`), never enough to use it.
    key_hint: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    time_created: Mapped[datetime]
    time_revoked: Mapped[datetime | None]


class AccountChanges(Base):
    """One row (id 1): a counter that every change to an account or a key moves, in the
    change's own transaction. Processes compare it with the one their key cache was filled
    under (accounts/keycache.py)."""

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
