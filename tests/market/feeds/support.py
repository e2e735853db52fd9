"""What the feed tests share: their fixture files, UTC times and shipped sources by slug."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tariffconnect.market import sources
from tariffconnect.market.sources import MarketSource

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def utc(text: str) -> datetime:
    """`2026-03-28T23:00` as an aware UTC datetime."""
    return datetime.fromisoformat(f"{text}+00:00")


def source(slug: str) -> MarketSource:
    return sources.find(slug)
