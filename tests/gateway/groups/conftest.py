"""The ingest pipeline on a fresh store, for the group rule tests (the Elvis tests bring their own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.bootstrap.inbound import booking_ingest
from gateway.bootstrap.stores import open_store
from gateway.fhir.mappings import load_mappings
from gateway.ingest.pipeline import BookingIngest
from gateway.primitives.resources import mappings_dir
from tests.database import store_url_for


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[BookingIngest]:
    store = open_store(store_url_for(tmp_path))
    yield booking_ingest(store, load_mappings(mappings_dir()), base_url="http://x/fhir")
    store.close()
