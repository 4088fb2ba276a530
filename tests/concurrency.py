"""Run one function in several threads at once, each with its own database connection and
transaction, to prove a check-then-insert cannot make duplicates (used with
`transactional_db`, so every thread sees the committed data)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connection, transaction


def _once(function: Callable[[], Any]) -> Any:
    # The SQLite test database is in memory with a shared cache, where a busy writer makes the
    # other fail at once ("table is locked") instead of waiting as the file database does:
    # retry those. A retried transaction wrote nothing.
    for _attempt in range(500):
        try:
            with transaction.atomic():
                return function()
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.01)
    raise AssertionError("never got the lock")


def run_at_once(function: Callable[[], Any], count: int) -> list[Any]:
    """Call `function` in `count` threads released together; each result is the return
    value or the exception raised."""
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = _once(function)
        except BaseException as error:  # noqa: BLE001 - returned to the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
