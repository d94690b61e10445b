"""Group commit: many concurrent pushes share one transaction and one fsync.

HTTP handlers submit units of work; one writer thread takes whatever is queued (up to
``max_batch``), runs it through :meth:`Store.write_batch` (each unit in its own savepoint) and
resolves every waiter only after the commit is on disk. Under load this turns N fsyncs into one
without weakening "acknowledged means durable".
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from gateway.ports.store import Store, StoreSession

__all__ = ["GroupCommitWriter"]

Work = Callable[[StoreSession], Any]
_STOP = object()


class GroupCommitWriter:
    def __init__(self, store: Store, *, max_batch: int = 256, coalesce_s: float = 0.001) -> None:
        self._store = store
        self._max_batch = max_batch
        self._coalesce_s = coalesce_s
        self._queue: queue.SimpleQueue[tuple[Work, Future[Any]] | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="nordgate-group-commit", daemon=True)
        self._thread.start()

    def submit(self, work: Work) -> Future[Any]:
        future: Future[Any] = Future()
        self._queue.put((work, future))
        return future

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        busy = False
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch, stop = self._gather(item, wait=busy)
            self._commit(batch)
            # Under concurrent load (the last batch was shared) it pays to wait a moment for more
            # pushes to join the next fsync; a lone push is never delayed.
            busy = len(batch) > 1
            if stop:
                return

    def _gather(self, first: object, *, wait: bool) -> tuple[list[tuple[Work, Future[Any]]], bool]:
        batch: list[tuple[Work, Future[Any]]] = [first]  # type: ignore[list-item]
        deadline = time.monotonic() + self._coalesce_s if wait else 0.0
        while len(batch) < self._max_batch:
            try:
                remaining = deadline - time.monotonic()
                more = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if more is _STOP:
                return batch, True
            batch.append(more)  # type: ignore[arg-type]
        return batch, False

    def _commit(self, batch: list[tuple[Work, Future[Any]]]) -> None:
        try:
            results = self._store.write_batch([work for work, _ in batch])
        except BaseException as exc:  # the commit itself failed: nobody in the batch is acknowledged
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
