"""Directory-drop transport: ``<root>/<receiver-her-id>/<msg-id>.xml`` (``.p7m`` when encrypted).

Written to a temporary file in the same folder, fsynced, renamed over the final name atomically and
the folder fsynced: a reader never sees half a message, and a delivery repeated after a crash (the
outbox had no time to record the first) replaces the same file with the same bytes, so every
message id is delivered exactly once as far as the folder's reader can tell.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Final

from gateway.primitives.errors import ReceiverUnavailable, Unprocessable

__all__ = ["DirectoryTransport"]

_SAFE_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _safe(value: str, what: str) -> str:
    # Both become path parts: nothing that could climb out of the drop folder.
    if not _SAFE_NAME.match(value) or ".." in value:
        raise Unprocessable("TRANSPORT_NAME_UNSAFE", f"{what} {value!r} cannot name a file")
    return value


class DirectoryTransport:
    """Implements :class:`~gateway.ports.outbound.Transport` by writing files under ``root``."""

    def __init__(self, root: Path | str, *, suffix: str = ".xml") -> None:
        self._root = Path(root)
        self._suffix = suffix  # ".p7m" when the files are CMS enveloped data, not XML

    @property
    def root(self) -> Path:
        return self._root

    def path_of(self, message_id: str, receiver_her_id: str) -> Path:
        name = f"{_safe(message_id, 'message id')}{self._suffix}"
        return self._root / _safe(receiver_her_id, "receiver HER-id") / name

    def deliver(self, message_id: str, receiver_her_id: str, payload: bytes) -> None:
        target = self.path_of(message_id, receiver_her_id)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(prefix=f".{message_id}.", suffix=".tmp", dir=target.parent)
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            folder = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError as exc:
            raise ReceiverUnavailable("TRANSPORT_DIRECTORY_UNWRITABLE",
                                      f"cannot write to the drop folder {target.parent}: {exc.strerror}",
                                      message_id=message_id, her_id=receiver_her_id) from None
