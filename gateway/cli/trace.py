"""``nordgate map --trace``: the Bundle of one message with the trace of every coded and identifier
field, as one JSON object ``{"format", "events", "bundle", "trace"}`` (what ``POST /preview`` answers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["trace_message"]


def trace_message(file: Path, *, given: list[Path], source: str, fhir_version: str,
                  mappings_dir: Path | None = None) -> dict[str, Any]:
    """Preview ``file`` after ``given`` (state only) on an in-memory store. Raises NordgateError with
    the file's name in ``location``, as ``nordgate map`` does."""
    from gateway.bootstrap.inbound import inbound  # noqa: PLC0415 - see gateway/cli/__init__.py
    from gateway.fhir.common import FhirVersion  # noqa: PLC0415
    from gateway.fhir.mappings import load_mappings  # noqa: PLC0415
    from gateway.primitives.resources import mappings_dir as shipped  # noqa: PLC0415
    from gateway.toolkit.preview import Message, preview  # noqa: PLC0415

    mappings = load_mappings(mappings_dir or shipped())
    result = preview(Message(file.read_bytes(), file.name),
                     given=[Message(path.read_bytes(), path.name) for path in given],
                     source=source, version=FhirVersion(fhir_version), mappings=mappings, inbound=inbound())
    return result.to_json()
