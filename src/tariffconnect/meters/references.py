"""Which stored record each `record_reference_id` names, so that a record sent again
replaces it.

`meter_record_references` is a plain (unpartitioned) table keyed by account, mode and
reference, holding the record's id and `start_time`. A partitioned `meter_records` cannot
have a unique index on the reference (it would have to include the partition key), and
looking references up in it means probing every monthly partition: with a few years of
partitions and 10,000 references that is millions of probes (or, planned badly, a scan of
the whole table per reference). Here it is one primary-key lookup per reference, and the old
records are deleted month by month, each delete pruned to its partition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import ARRAY, DateTime, String, any_, bindparam, delete, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import as_utc
from tariffconnect.meters import partitions
from tariffconnect.meters.models import MeterRecord, MeterRecordReference

_CHUNK = 500  # references per IN (...) on SQLite
_UPSERT = text(
    "INSERT INTO meter_record_references "
    "(account_id, live_mode, record_reference_id, record_id, start_time) "
    "SELECT :account_id, :live_mode, t.reference, t.record_id, t.start_time "
    "FROM unnest(:references, :record_ids, :start_times) AS t(reference, record_id, start_time) "
    "ON CONFLICT (account_id, live_mode, record_reference_id) "
    "DO UPDATE SET record_id = excluded.record_id, start_time = excluded.start_time"
).bindparams(
    bindparam("references", type_=ARRAY(String)),
    bindparam("record_ids", type_=ARRAY(String)),
    bindparam("start_times", type_=ARRAY(DateTime(timezone=True))),
)


def replace(session: Session, *, scope: Scope, references: Sequence[str]) -> None:
    """Delete the caller's stored records named by `references` (before their successors
    are inserted)."""
    postgres = session.connection().dialect.name == "postgresql"
    found: list[tuple[str, datetime]] = []
    table = MeterRecordReference
    mine = table.account_id == scope.account_id, table.live_mode == scope.live_mode
    if postgres:
        query = select(table.record_id, table.start_time).where(
            *mine, table.record_reference_id == any_(bindparam("references", type_=ARRAY(String)))
        )
        found = [
            (i, as_utc(s)) for i, s in session.execute(query, {"references": list(references)})
        ]
    else:
        for first in range(0, len(references), _CHUNK):
            chunk = list(references[first : first + _CHUNK])
            query = select(table.record_id, table.start_time).where(
                *mine, table.record_reference_id.in_(chunk)
            )
            found += [(i, as_utc(s)) for i, s in session.execute(query)]
    by_month: dict[date, list[str]] = defaultdict(list)
    for record_id, start in found:
        by_month[partitions.month_of(start)].append(record_id)
    for month, ids in sorted(by_month.items()):
        low = datetime(month.year, month.month, 1, tzinfo=UTC)
        high = datetime.combine(partitions.next_month(month), low.timetz())
        for first in range(0, len(ids), _CHUNK):
            session.execute(
                delete(MeterRecord).where(
                    MeterRecord.account_id == scope.account_id,
                    MeterRecord.live_mode == scope.live_mode,
                    MeterRecord.start_time >= low,
                    MeterRecord.start_time < high,
                    MeterRecord.id.in_(ids[first : first + _CHUNK]),
                ),
                execution_options={"synchronize_session": False},
            )


def remember(session: Session, *, scope: Scope, rows: Sequence[tuple[str, str, datetime]]) -> None:
    """Record (reference, record id, start time) of records just stored."""
    if not rows:
        return
    if session.connection().dialect.name == "postgresql":
        references, ids, starts = (list(column) for column in zip(*rows, strict=True))
        session.execute(
            _UPSERT,
            {
                "account_id": scope.account_id,
                "live_mode": scope.live_mode,
                "references": references,
                "record_ids": ids,
                "start_times": starts,
            },
        )
        return
    statement = sqlite.insert(MeterRecordReference)
    statement = statement.on_conflict_do_update(
        index_elements=["account_id", "live_mode", "record_reference_id"],
        set_={
            "record_id": statement.excluded.record_id,
            "start_time": statement.excluded.start_time,
        },
    )
    session.execute(
        statement,
        [
            {
                "account_id": scope.account_id,
                "live_mode": scope.live_mode,
                "record_reference_id": reference,
                "record_id": record_id,
                "start_time": start,
            }
            for reference, record_id, start in rows
        ],
    )
