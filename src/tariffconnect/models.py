"""Imports every table module so Base.metadata is complete (migrations, tests)."""

from __future__ import annotations


def import_all_models() -> None:
    from tariffconnect.accounts import models as _accounts  # noqa: F401
