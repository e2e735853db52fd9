"""The provider catalogue: providers.json, loaded once, validated, indexed by id.

Providers are the same for every account and mode, and change only with a release or an
operator's edit of the file (read at startup), so they live in memory, not in the database.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from pydantic import TypeAdapter

from tariffconnect.core.errors import not_found
from tariffconnect.providers.sandbox import SANDBOX, SANDBOX_PROVIDER_ID
from tariffconnect.providers.schemas import Provider

DATA_PACKAGE = "tariffconnect.data"
DATA_FILE = "providers.json"


class CatalogueError(ValueError):
    """providers.json is malformed; the message says which entry and why."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    by_id: dict[str, Provider]
    # Newest-first order of every list: by id descending, so cursors work as elsewhere.
    ordered: tuple[Provider, ...]


def parse(raw: bytes | str) -> Catalogue:
    """Validate the file's content and index it; raise CatalogueError on any problem."""
    try:
        entries = TypeAdapter(list[Provider]).validate_python(json.loads(raw))
    except ValueError as exc:  # json.JSONDecodeError and pydantic.ValidationError
        raise CatalogueError(f"{DATA_FILE} is invalid: {exc}") from exc
    by_id: dict[str, Provider] = {}
    slugs: set[str] = set()
    for entry in entries:
        if entry.id in by_id or entry.slug in slugs:
            raise CatalogueError(f"{DATA_FILE}: duplicate id or slug in {entry.slug}")
        by_id[entry.id] = entry
        slugs.add(entry.slug)
    ordered = tuple(sorted(entries, key=lambda p: p.id, reverse=True))
    return Catalogue(by_id=by_id, ordered=ordered)


@cache
def load() -> Catalogue:
    """The shipped catalogue, read and validated on first use and then kept."""
    return parse(files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes())


def get(provider_id: str) -> Provider | None:
    """The provider with this id, or None (Connect uses this to check a `provider_id`).

    The test-mode Sandbox Energy is found here too, so its tariffs may name it, but it is not
    in the file and `search` does not list it: the flow offers it itself."""
    if provider_id == SANDBOX_PROVIDER_ID:
        return SANDBOX
    return load().by_id.get(provider_id)


def get_or_raise(provider_id: str) -> Provider:
    """The provider, or 404 `provider_not_found`."""
    provider = get(provider_id)
    if provider is None:
        raise not_found("provider_not_found", f"No provider {provider_id}.")
    return provider


def all_providers() -> Sequence[Provider]:
    """Every provider, by id descending."""
    return load().ordered


def fold(text: str) -> str:
    """Case- and accent-insensitive form, so `bord gais` finds `Bord Gáis Energy`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search(
    *, country_code: str | None = None, state: str | None = None, keywords: str | None = None
) -> list[Provider]:
    """Providers matching every filter given, by id descending.

    `country_code` and `state` are compared in upper case; `keywords` is a substring of the
    display name, ignoring case and accents.
    """
    country = country_code.upper() if country_code else None
    subdivision = state.upper() if state else None
    needle = fold(keywords.strip()) if keywords else ""
    return [
        provider
        for provider in all_providers()
        if (country is None or provider.country_code == country)
        and (subdivision is None or provider.serves(subdivision))
        and (not needle or needle in fold(provider.display_name))
    ]
