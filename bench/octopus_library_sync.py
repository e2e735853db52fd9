"""The Octopus library sync of every product and region from the local fixture API.

A fresh SQLite database in a temporary folder is migrated; the fixture Octopus API
(tests/integrations/octopus/fixture_server.py, a real HTTP server in a thread of this process)
publishes `--products` domestic import products, each in all 14 regions: a third flat, a third
Go-like (two windows a day, read from its half-hour rows), a third flat with an Economy 7
tariff too; plus as many business and prepay products that the sync must skip. Measured: one
`library_sync.run` (every API call, then the one transaction), seconds and peak memory
(tracemalloc's peak of Python allocations during the sync, and the process's ru_maxrss).
The entries stored are checked against a COUNT.

    .venv/bin/python bench/octopus_library_sync.py [--products 30]
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from common import REPO, BenchError, in_work_folder, new_parser

sys.path.insert(0, str(REPO))

from tests.integrations.octopus.fixture_server import (
    OctopusData,
    octopus_api,
    product_detail,
    product_row,
    rate_row,
    regional_tariff,
)

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.integrations.octopus import library_sync
from tariffconnect.tariffs.library_models import SyncedLibraryTariff

REGIONS = "ABCDEFGHJKLMNP"
NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def published(count: int) -> tuple[OctopusData, int]:
    """The fixture data and the number of entries the sync should store."""
    data = OctopusData()
    expected = 0
    for n in range(count):
        kind = n % 3
        code = f"BENCH{n:02d}-VAR-24-10-01"
        row = product_row(code, display_name=f"Bench {n}")
        data.products.append(row)
        single, dual = {}, {}
        for i, region in enumerate(REGIONS):
            tariff = f"E-1R-{code}-{region}"
            single[region] = regional_tariff(tariff, 50 + i, standard_unit_rate=20 + i + n / 10)
            if kind == 1:  # Go-like: a row per window, the last three days
                rows = []
                for back in range(3):
                    day = datetime(2026, 12, 2, tzinfo=UTC) - timedelta(days=back)
                    rows += [
                        rate_row(
                            25 + i,
                            _z(day + timedelta(hours=5.5)),
                            _z(day + timedelta(days=1, minutes=30)),
                        ),
                        rate_row(
                            8.5, _z(day + timedelta(minutes=30)), _z(day + timedelta(hours=5.5))
                        ),
                    ]
                rows.append(
                    rate_row(
                        25 + i,
                        _z(datetime(2026, 11, 28, 5, 30, tzinfo=UTC)),
                        _z(datetime(2026, 11, 29, 0, 30, tzinfo=UTC)),
                    )
                )
                data.rates[(tariff, "standard-unit-rates")] = rows
            else:
                data.rates[(tariff, "standard-unit-rates")] = [
                    rate_row(
                        20 + i + n / 10, "2026-10-01T00:00:00Z", None, payment_method="DIRECT_DEBIT"
                    )
                ]
            if kind == 2:
                dual[region] = regional_tariff(
                    f"E-2R-{code}-{region}", 50 + i, day_unit_rate=28 + i, night_unit_rate=13
                )
            expected += 1 + (kind == 2)
        data.details[code] = product_detail(row, single=single, dual=dual)
        for flag in ("is_business", "is_prepay"):
            data.products.append(
                product_row(
                    f"SKIP{n:02d}-{flag[3:].upper()}-24", display_name="Skip", **{flag: True}
                )
            )
    return data, expected


def run(work: Path, count: int) -> None:
    settings = Settings(
        data_dir=work,
        database_url=f"sqlite:///{work / 'bench.db'}",
        demo_account=False,
        webhook_allowed_networks="127.0.0.0/8",
    )
    db = Database(settings.database_url_resolved, pool_size=2)
    upgrade(db.engine)
    data, expected = published(count)
    with octopus_api(data) as (server, _):
        pointed = settings.model_copy(update={"octopus_api_url": server.url})
        tracemalloc.start()
        started = time.perf_counter()
        result = library_sync.run(pointed, db, now=NOW)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        requests = len(server.asked)
    with db.transaction(write=False) as session:
        stored = session.scalar(select(func.count()).select_from(SyncedLibraryTariff))
    db.dispose()
    if stored != expected or result.offered != expected:
        raise BenchError(f"stored {stored}, offered {result.offered}, expected {expected}")
    maxrss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"products {result.products} (of {len(data.products)} listed), regions {len(REGIONS)}")
    print(f"entries stored {stored}, API requests {requests}")
    print(f"sync seconds {seconds:.2f}  ({requests / seconds:.0f} requests/s)")
    print(
        f"peak Python memory during the sync {peak / 2**20:.1f} MiB (tracemalloc); "
        f"ru_maxrss {maxrss_mib:.0f} MiB"
    )


def main() -> None:
    parser = new_parser(__doc__ or "")
    parser.add_argument("--products", type=int, default=30)
    args = parser.parse_args()
    in_work_folder(lambda work: run(work, args.products))


if __name__ == "__main__":
    main()
