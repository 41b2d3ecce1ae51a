"""The transaction a report is built in, and its passes side by side.

A report reads one snapshot of the data (repeatable read, read only), so its tables agree with each other. On
PostgreSQL that snapshot is exported, and a report whose passes are independent (the times' three, the retention's
halves) runs them side by side, each on its own connection importing the same snapshot: the same figures, in the
time of the longest pass instead of their sum. Inside a caller's transaction (a test's, say) or elsewhere than
PostgreSQL, or with ``REPORTS_PARALLEL`` off, the passes simply run one after another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction

T = TypeVar("T")

# Memory for each sort of a report's queries on PostgreSQL: a year of complaints sorts in memory, not on disk.
REPORT_WORK_MEM = "64MB"

_snapshot: ContextVar[str | None] = ContextVar("report_snapshot", default=None)


def _tune(cursor: Any) -> None:
    # Compiling the aggregates costs more than running them here (over a second on the retention query).
    cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [REPORT_WORK_MEM])


@contextmanager
def report_transaction() -> Iterator[None]:
    """One read-only snapshot for everything a report reads (inside a caller's transaction, that one)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(savepoint=False):
        token = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if outermost:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                _tune(cursor)
                if outermost and settings.REPORTS_PARALLEL:
                    cursor.execute("SELECT pg_export_snapshot()")
                    token = _snapshot.set(str(cursor.fetchone()[0]))
        try:
            yield
        finally:
            if token is not None:
                _snapshot.reset(token)


def side_by_side(passes: Sequence[Callable[[], T]]) -> list[T]:
    """Each pass's result, in order. Side by side when the report's snapshot is exported (see the module)."""
    snapshot = _snapshot.get()
    if snapshot is None or len(passes) < 2:
        return [run() for run in passes]
    results: list[Any] = [None] * len(passes)
    errors: list[BaseException] = []

    def run_on_own_connection(index: int) -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                    _tune(cursor)
                results[index] = passes[index]()
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_on_own_connection, args=(index,)) for index in range(1, len(passes))]
    for thread in threads:
        thread.start()
    try:
        results[0] = passes[0]()
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return results
