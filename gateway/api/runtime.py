"""What a running gateway holds: built once at start-up from validated settings, closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.bookings.ingest import BookingIngest
from gateway.errors import ConfigurationError
from gateway.fhir.common import FhirVersion
from gateway.formats import XmlLimits
from gateway.mappings import MappingSet, load_mappings
from gateway.resources import mappings_dir
from gateway.settings import Settings
from gateway.store.group_commit import GroupCommitWriter
from gateway.store.sqlite import SQLiteStore

__all__ = ["REQUIRED_MAPS", "Runtime", "build_runtime", "software_version"]

REQUIRED_MAPS = ("crm-time-type", "crm-time-type-contact-mode", "crm-care-type", "cancellation-origin")


def software_version() -> str:
    try:
        return version("nordgate")
    except PackageNotFoundError:
        return "0+source"


@dataclass
class Runtime:
    settings: Settings
    mappings: MappingSet
    store: SQLiteStore
    ingest: BookingIngest
    writer: GroupCommitWriter
    zone: ZoneInfo
    default_version: FhirVersion
    sources: frozenset[str]

    def close(self) -> None:
        self.writer.close()
        self.store.close()


def load_checked_mappings(settings: Settings) -> MappingSet:
    return load_mappings(settings.mappings_dir or mappings_dir(), required=REQUIRED_MAPS)


def build_runtime(settings: Settings) -> Runtime:
    try:
        zone = ZoneInfo(settings.local_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError("SETTINGS_INVALID", f"unknown time zone {settings.local_timezone!r}") from None
    mappings = load_checked_mappings(settings)
    sources = frozenset(code for code in _source_codes(mappings))
    if settings.default_source not in sources:
        raise ConfigurationError("SETTINGS_INVALID", f"default source {settings.default_source!r} is not one of "
                                 f"the sending systems in cancellation-origin.json: {sorted(sources)}")
    store = SQLiteStore(settings.sqlite_path)
    ingest = BookingIngest(store, mappings, base_url=settings.base_url,
                           limits=XmlLimits(settings.max_body_bytes, settings.max_xml_depth))
    return Runtime(settings, mappings, store, ingest, GroupCommitWriter(store, max_batch=settings.group_commit_max),
                   zone, FhirVersion(settings.fhir_version), sources)


def _source_codes(mappings: MappingSet) -> list[str]:
    concept_map = mappings.concept_map("cancellation-origin") or {}
    groups = concept_map.get("group", [])
    return [element["code"] for group in groups for element in group.get("element", [])]
