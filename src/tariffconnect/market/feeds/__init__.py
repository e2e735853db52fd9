"""Public price feeds, one module each: an httpx client that turns the feed's documented
answer into `PricePoint`s. Feeds know nothing of storage; market/ingest.py stores what they
return, trying a source's feeds in its priority order (data/market_sources.json)."""
