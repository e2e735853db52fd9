"""Feed tokens: made, listed and revoked by the operator (`tariffconnect feed-token`), and
resolved on every feed request.

A token is 192 random bits in the URL (home-energy software cannot send headers), so only
its SHA-256 is stored: a fast hash is enough, there is nothing to brute-force. A token that
is unknown, revoked, or of the wrong shape is the same 404 (`not_found`), which says nothing
of whether its location exists.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from tariffconnect.accounts.service import hash_key
from tariffconnect.core.errors import ApiError, not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.scoping import Scope, scoped
from tariffconnect.core.timeutil import as_utc, utcnow
from tariffconnect.feeds.models import FeedToken
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.market.models import MarketSourceVersion
from tariffconnect.tariffs.models import CONNECTED, Tariff

TOKEN_PREFIX = "ft_"  # noqa: S105 (a prefix, not a secret)
_TOKEN_HEX = 48  # 24 random bytes
ID_PREFIX = "fdt"

# Everything a feed request needs before it can answer from the cache, in one statement
# (built once: it runs on every feed request): the token, its location's zone and calendar,
# and what the location's prices follow, the connected import tariffs (those /prices sums)
# as last updated with the version of the market source each follows. One row per tariff;
# one with no tariff when there is none.
_BY_HASH = (
    select(
        FeedToken.id,
        FeedToken.token_hash,
        Location.id.label("location_id"),
        Location.account_id,
        Location.live_mode,
        Location.timezone,
        Location.country_code,
        Location.state,
        Location.currency_code,
        Tariff.id.label("tariff_id"),
        Tariff.time_updated,
        MarketSourceVersion.token.label("market_version"),
    )
    .join(
        Location,
        and_(
            Location.id == FeedToken.location_id,
            # The token's own account and mode: a location never changes hands, but the
            # scope belongs in the query all the same.
            Location.account_id == FeedToken.account_id,
            Location.live_mode == FeedToken.live_mode,
        ),
    )
    .outerjoin(
        Tariff,
        and_(
            Tariff.location_id == Location.id,
            Tariff.account_id == Location.account_id,
            Tariff.live_mode == Location.live_mode,
            Tariff.status == CONNECTED,
            Tariff.tariff_direction == "IMPORT",
        ),
    )
    .outerjoin(
        MarketSourceVersion,
        and_(
            Tariff.market_rates.is_(True),
            MarketSourceVersion.source_id == Tariff.market_source_id,
        ),
    )
    .where(FeedToken.token_hash == bindparam("token_hash"), FeedToken.time_revoked.is_(None))
    .order_by(Tariff.id)
)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as it is shown once, at creation."""

    id: str
    location_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Feed:
    """What a valid token opens: one location, in its account and mode, and what its prices
    follow (`follows`: the location's calendar, the tariffs' update times and the market
    versions; feeds/cache.py keys rendered bodies on it)."""

    token_id: str
    location_id: str
    scope: Scope
    timezone: str
    follows: tuple[Hashable, ...]
    has_tariff: bool


def feed_not_found() -> ApiError:
    """The one answer for every token that opens nothing."""
    return not_found("feed_not_found", "No such feed.")


def is_token_shaped(value: str) -> bool:
    body = value[len(TOKEN_PREFIX) :]
    return (
        value.startswith(TOKEN_PREFIX)
        and len(body) == _TOKEN_HEX
        and all(c in "0123456789abcdef" for c in body)
    )


def create(session: Session, *, location_id: str) -> IssuedToken:
    """A new token for the location (any account's: the operator names it by its id, which is
    unique across accounts); 404 `location_not_found` when there is none."""
    scope = locations.scope_of(session, location_id=location_id)
    token = TOKEN_PREFIX + secrets.token_hex(_TOKEN_HEX // 2)
    row = FeedToken(
        id=new_id(ID_PREFIX),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=utcnow(),
        location_id=location_id,
        token_hash=hash_key(token),
        token_hint=f"{TOKEN_PREFIX}…{token[-4:]}",
        time_revoked=None,
    )
    session.add(row)
    session.flush()
    return IssuedToken(id=row.id, location_id=location_id, token=token)


def list_(session: Session, *, location_id: str) -> list[FeedToken]:
    """The location's tokens, newest first, revoked ones included."""
    scope = locations.scope_of(session, location_id=location_id)
    query = scoped(select(FeedToken), FeedToken, scope).where(FeedToken.location_id == location_id)
    return list(session.scalars(query.order_by(FeedToken.id.desc())))


def revoke(session: Session, *, token_id_or_token: str) -> FeedToken:
    """Revoke a token, named by its id (`fdt_…`) or by the token itself; its feeds answer 404
    from the next request on."""
    if is_token_shaped(token_id_or_token):
        query = select(FeedToken).where(FeedToken.token_hash == hash_key(token_id_or_token))
    elif is_valid_id(token_id_or_token, ID_PREFIX):
        query = select(FeedToken).where(FeedToken.id == token_id_or_token)
    else:
        raise not_found("feed_token_not_found", "No such feed token.")
    row = session.scalars(query).one_or_none()
    if row is None:
        raise not_found("feed_token_not_found", "No such feed token.")
    if row.time_revoked is None:
        row.time_revoked = utcnow()
    return row


def resolve(session: Session, *, token: str) -> Feed:
    """The feed a token opens; 404 `feed_not_found` for any token that opens none."""
    if not is_token_shaped(token):
        raise feed_not_found()  # junk never reaches the database
    digest = hash_key(token)
    rows = session.connection().execute(_BY_HASH, {"token_hash": digest}).all()
    # The lookup is by hash; comparing the hashes again in constant time keeps an index's
    # timing from saying how much of a guess matched.
    if not rows or not hmac.compare_digest(rows[0].token_hash, digest):
        raise feed_not_found()
    first = rows[0]
    tariffs = tuple(
        (row.tariff_id, as_utc(row.time_updated), row.market_version)
        for row in rows
        if row.tariff_id is not None
    )
    return Feed(
        token_id=first.id,
        location_id=first.location_id,
        scope=Scope(account_id=first.account_id, live_mode=first.live_mode),
        timezone=first.timezone,
        follows=(first.timezone, first.country_code, first.state, first.currency_code, tariffs),
        has_tariff=bool(tariffs),
    )
