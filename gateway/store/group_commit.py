"""Group commit: many concurrent pushes share one transaction and one fsync.

HTTP handlers submit units of work; one writer thread takes whatever is queued (up to
``max_batch``), runs it through :meth:`Store.write_batch` (each unit in its own savepoint) and
resolves every waiter only after the commit is on disk. Under load this turns N fsyncs into one
without weakening "acknowledged means durable".
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from gateway.store.port import Store, StoreSession

__all__ = ["GroupCommitWriter"]

Work = Callable[[StoreSession], Any]
_STOP = object()


class GroupCommitWriter:
    def __init__(self, store: Store, *, max_batch: int = 256) -> None:
        self._store = store
        self._max_batch = max_batch
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
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)  # type: ignore[arg-type]
            if stop:
                return

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
