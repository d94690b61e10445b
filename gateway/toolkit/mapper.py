"""Map messages in memory, as ``nordgate map`` does: the push pipeline on a store that lives for one
run, so nothing is stored. The golden runner and the mapping checks map through it too."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from gateway.bootstrap.inbound import booking_ingest, memory_store
from gateway.fhir.common import FhirVersion
from gateway.fhir.mappings import load_mappings
from gateway.fhir.outcome import outcome_of
from gateway.ports.inbound import InboundFormat
from gateway.primitives.errors import NordgateError
from gateway.primitives.resources import mappings_dir as shipped

__all__ = ["PREVIEW_BASE", "map_messages", "outcome_for"]

PREVIEW_BASE = "urn:nordgate:preview"  # the fullUrl base `nordgate map` uses: nothing is served there


def outcome_for(error: NordgateError) -> dict[str, Any]:
    """The OperationOutcome the API would answer for ``error`` (what ``nordgate map`` prints)."""
    return outcome_of(error)


def map_messages(files: list[Path], *, given: list[Path], source: str, fhir_version: str,
                 mappings_dir: Path | None = None, formats: Sequence[InboundFormat] | None = None) -> dict[str, Any]:
    """Map messages through an in-memory store: ``given`` first (state only), then ``files``.

    Returns a FHIR Bundle (type collection) of every resource the files created or changed, as it
    ended. Raises NordgateError (with ``location`` naming the file) on the first refused message.
    """
    version = FhirVersion(fhir_version)
    mappings = load_mappings(mappings_dir or shipped())
    store = memory_store()
    ingest = booking_ingest(store, mappings, base_url=PREVIEW_BASE, formats=formats)
    entries: dict[str, Any] = {}
    try:
        for path, record in [*((p, False) for p in given), *((p, True) for p in files)]:
            try:
                result = ingest.push(path.read_bytes(), source=source, version=version)
            except NordgateError as error:
                # The file's name, not its path: the same outcome wherever the command runs.
                error.location = f"{path.name}:{error.location}" if error.location else path.name
                raise
            if record:
                for entry in orjson.loads(result.body)["entry"]:
                    entries[entry["fullUrl"]] = {"fullUrl": entry["fullUrl"], "resource": entry["resource"]}
    finally:
        store.close()
    return {"resourceType": "Bundle", "type": "collection", "entry": list(entries.values())}
