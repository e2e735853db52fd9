"""Settings read from the environment (prefix TARIFFCONNECT_)."""

from __future__ import annotations

import os
import secrets
import time
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TARIFFCONNECT_", extra="ignore")

    data_dir: Path = Path("./data")
    # Empty means "a SQLite file in data_dir", resolved by `database_url_resolved`.
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = Field(default="", repr=False)
    token_ttl_seconds: int = Field(default=3600, ge=60)
    connect_session_ttl_seconds: int = Field(default=86400, ge=60)
    public_base_url: str = ""
    token_issuer: str = "tariffconnect"  # noqa: S105 (the JWT `iss` claim)
    max_body_bytes: int = 1024 * 1024
    # PUT /meters/... carries up to 10,000 records: its own, larger limit.
    max_meter_body_bytes: int = 5 * 1024 * 1024
    # Database connections per process; also the number of worker threads that run handlers,
    # so a handler never waits for a connection while holding a thread.
    db_pool_size: int = Field(default=16, ge=1)
    # glibc malloc arenas per process (core/memory.py); 0 leaves glibc's default of eight per
    # core. MALLOC_ARENA_MAX in the environment wins.
    malloc_arena_max: int = Field(default=2, ge=0)
    # Serialised /prices series kept per process (prices/cache.py), in MiB; 0 keeps none.
    price_series_cache_mb: int = Field(default=32, ge=0)
    # A log line per request (route template, method, status, time; core/middleware.py): off
    # by default, since writing it cost a small request about a tenth of its time (bench/
    # RESULTS.md, issue 17). uvicorn's own access log is always off.
    access_log: bool = False
    # How long a request may wait for its handler (in practice: the database) before it is
    # answered 503 database_unavailable; also the database's statement timeout.
    request_deadline_seconds: float = Field(default=15.0, gt=0)
    # Rate limits (core/ratelimit.py), in the `limits` notation: "60/minute", "10/second;300/
    # minute". Counters in memory, or in Redis when redis_url is set (several processes).
    redis_url: str = Field(default="", repr=False)
    rate_limit_login_address: str = "120/minute"
    rate_limit_login_account: str = "60/minute"
    rate_limit_login_failure_cost: int = Field(default=10, ge=1)
    rate_limit_api: str = "100/second;3000/minute"
    rate_limit_connect: str = "10/second;300/minute"
    # Per feed token (evcc, Home Assistant and calendar feeds): they poll every few minutes.
    rate_limit_feed: str = "5/second;120/minute"
    # Logs on stderr: "text" (LEVEL logger: message) or "json" (one object per line, with the
    # request id); core/logs.py.
    log_format: Literal["text", "json"] = "text"
    # GET /metrics answers a scraper that sends this as its bearer token; off while empty.
    metrics_token: str = Field(default="", repr=False)
    # Create a demo account (and print how to use it) when the database has no account.
    demo_account: bool = True
    # Run the background worker (job runner and webhook delivery) inside `serve`; else run
    # `tariffconnect worker` processes.
    worker_in_process: bool = True
    # How often the job runner beats, claims due periodic tasks and queued jobs (seconds);
    # GET /health/worker fails when no worker has beaten within twice this.
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    # Periodic tasks and queued jobs one worker runs at once (each in a thread).
    worker_concurrency: int = Field(default=4, ge=1)
    # A queued job's lease (renewed while its worker lives), its attempts, and the first
    # retry's wait (doubling after each failure, at most 6 hours).
    job_lease_seconds: float = Field(default=300.0, gt=0)
    job_max_attempts: int = Field(default=8, ge=1)
    job_backoff_seconds: float = Field(default=10.0, gt=0)
    # Networks (comma-separated CIDRs) webhooks may reach although private, in either mode;
    # `127.0.0.0/8,::1/128` lets apps in development receive test webhooks on localhost.
    webhook_allowed_networks: str = ""
    # How long a worker holds a delivery it is sending; a worker that dies releases it then.
    webhook_lease_seconds: float = Field(default=30.0, gt=0)
    # The Connect flow API (docs/connect-flow.md): its path, and optionally a host name whose
    # `POST /` is the flow too, for a Flatpeak-style `connect.example.com`.
    connect_flow_path: str = Field(default="/connect/flow", pattern=r"^/[A-Za-z0-9/_.-]*$")
    connect_flow_host: str = ""
    # Who may frame the hosted Connect pages (CSP frame-ancestors): "'none'", "'self'" or
    # space-separated origins such as "https://app.example.com".
    connect_web_frame_ancestors: str = "'none'"
    # Market price feeds (docs/market-prices.md): each base URL is a setting so that tests and
    # operators can point a feed elsewhere; ENTSO-E is off without its security token.
    entsoe_url: str = "https://web-api.tp.entsoe.eu/api"
    entsoe_token: str = Field(default="", repr=False)
    energy_charts_url: str = "https://api.energy-charts.info"
    elexon_url: str = "https://data.elexon.co.uk/bmrs/api/v1"
    octopus_url: str = "https://api.octopus.energy/v1"
    ecb_url: str = "https://data-api.ecb.europa.eu/service"
    # The Octopus Energy REST API (docs/integrations.md): customers' accounts and the published
    # products the library is synced from; under the webhook network rules like auth modules.
    octopus_api_url: str = "https://api.octopus.energy"
    octopus_api_timeout_seconds: float = Field(default=10.0, gt=0)
    market_feed_timeout_seconds: float = Field(default=10.0, gt=0)
    # DIRECT connections (docs/direct.md). Auth modules follow the webhook network rules
    # (https in live mode; private networks only where webhook_allowed_networks allows them).
    auth_module_timeout_seconds: float = Field(default=20.0, gt=0)
    # How often a DIRECT tariff is pulled again (jittered by a tenth), how soon after a failed
    # or not-yet-published pull, and after how long of failures `tariff.fetch.failed` is sent.
    direct_refresh_hours: float = Field(default=24.0, gt=0)
    direct_retry_minutes: float = Field(default=60.0, gt=0)
    direct_fetch_failed_after_hours: float = Field(default=48.0, gt=0)
    # Credentials whose consent never came are deleted after this many days.
    direct_unconsented_days: float = Field(default=30.0, gt=0)
    # The app's pages an auth module links to on its login and consent pages.
    connect_privacy_url: str = ""
    connect_terms_url: str = ""

    @property
    def database_url_resolved(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tariffconnect.db').resolve()}"

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def signing_secret(self) -> bytes:
        """The secret key, from the environment or else from the data folder (made once)."""
        if self.secret_key:
            return self.secret_key.encode()
        return load_or_create_secret(self.data_dir / SECRET_KEY_FILE).encode()


def load_or_create_secret(path: Path) -> str:
    """Read the secret stored at `path`, creating it (mode 0600) if it does not exist yet.

    O_EXCL makes creation safe when several processes start at once: one writes the file,
    the others read what it wrote.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.01)
        raise RuntimeError(f"secret key file {path} is empty") from None
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return value
