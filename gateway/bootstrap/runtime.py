"""What a running gateway holds: built once at start-up from validated settings, closed at shutdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.outbound.encryption import Decryptor
from gateway.accounts.service import AccountService
from gateway.audit.head_journal import HeadJournal
from gateway.audit.recorder import AuditRecorder
from gateway.bookings.rivta_producer import RivtaProducer
from gateway.bootstrap.inbound import inbound
from gateway.bootstrap.operations import Operations, build_operations
from gateway.bootstrap.settlement import (
    build_apprec_trust,
    build_decryptor,
    build_register,
    build_signers,
    build_transport,
)
from gateway.bootstrap.stores import (
    build_recorder,
    open_account_store,
    open_audit_log,
    open_settlement_store,
    open_store,
    require_schema,
)
from gateway.config.settings import Settings
from gateway.fhir.common import FhirVersion
from gateway.fhir.mappings import MappingSet, load_mappings
from gateway.ingest.dispatch import Inbound
from gateway.ingest.pipeline import BookingIngest
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.signing import timed_signers
from gateway.outbox.worker import OutboxWorker, RetryPolicy
from gateway.ports.audit import AuditLog
from gateway.ports.inbound import InboundFormat
from gateway.ports.outbound import AddressRegister
from gateway.ports.store import Store
from gateway.primitives.errors import ConfigurationError
from gateway.primitives.resources import mappings_dir
from gateway.primitives.xmlsafe import XmlLimits
from gateway.settlement.service import SettlementService
from gateway.store.group_commit import GroupCommitWriter

__all__ = ["Runtime", "build_runtime", "load_checked_mappings"]


@dataclass
class Runtime:
    settings: Settings
    mappings: MappingSet
    store: Store
    ingest: BookingIngest
    writer: GroupCommitWriter
    zone: ZoneInfo
    default_version: FhirVersion
    sources: frozenset[str]
    #: The inbound formats this gateway takes and the handler of each event (gateway/bootstrap/inbound.py).
    inbound: Inbound
    settlements: SettlementService | None = None
    outbox: OutboxWorker | None = None
    #: What else must be closed at shutdown (register client, signers, transport), in order.
    closables: list[object] = field(default_factory=list)
    #: This process's Prometheus metrics; the address register (cached) when configured; the
    #: readiness and scrape-time probes (gateway/observability).
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)
    register: AddressRegister | None = None
    ops: Operations | None = None
    #: Accounting setups (gateway/accounts); closed with the closables.
    accounts: AccountService | None = None
    #: The audit trail (gateway/audit): the recorder appends, the log answers queries and exports.
    audit: AuditRecorder | None = None
    audit_log: AuditLog | None = None
    #: This gateway's own key for encrypted AppRecs (``decryption_p12``), when configured.
    apprec_decryptor: Decryptor | None = None
    #: The crm:scheduling 1.1 producer behind /rivta (gateway/bookings/rivta_producer.py).
    rivta: RivtaProducer | None = None

    def close(self) -> None:
        if self.outbox is not None:
            self.outbox.stop()
        if self.audit is not None:
            self.audit.close()  # its last rows go through the writer: before the writer closes
        self.writer.close()
        self.store.close()
        if self.settlements is not None:
            self.settlements.store.close()
        for item in self.closables:
            close = getattr(item, "close", None)
            if callable(close):
                close()


def load_checked_mappings(settings: Settings, side: Inbound) -> MappingSet:
    return load_mappings(settings.mappings_dir or mappings_dir(), required=side.registry.required_maps)


def build_runtime(settings: Settings, *, formats: Sequence[InboundFormat] | None = None) -> Runtime:
    """Everything a gateway runs with; ``formats`` replaces the table of inbound formats (tests)."""
    try:
        zone = ZoneInfo(settings.local_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError("SETTINGS_INVALID", f"unknown time zone {settings.local_timezone!r}") from None
    side = inbound(formats)
    mappings = load_checked_mappings(settings, side)
    sources = frozenset(code for code in _source_codes(mappings))
    if settings.default_source not in sources:
        raise ConfigurationError("SETTINGS_INVALID", f"default source {settings.default_source!r} is not one of "
                                 f"the sending systems in cancellation-origin.json: {sorted(sources)}")
    # PostgreSQL: refuse a schema that is behind before opening anything (SQLite upgrades itself).
    require_schema(settings.database)
    store = open_store(settings.database, pool_size=settings.database_pool_size)
    ingest = BookingIngest(store, mappings, inbound=side, base_url=settings.base_url,
                           limits=XmlLimits(settings.max_body_bytes, settings.max_xml_depth))
    runtime = Runtime(settings, mappings, store, ingest,
                      GroupCommitWriter(store, max_batch=settings.group_commit_max),
                      zone, FhirVersion(settings.fhir_version), sources, side,
                      metrics=GatewayMetrics(sniff=side.registry.sniff))
    runtime.rivta = RivtaProducer(store, mappings, limits=ingest.limits)
    try:
        runtime.audit_log = open_audit_log(settings.database)
        runtime.closables.append(runtime.audit_log)
        journal = HeadJournal(settings.audit_head_file, every_s=settings.audit_head_publish_s) \
            if settings.audit_head_file is not None else None
        runtime.audit = build_recorder(settings.database, runtime.writer, runtime.audit_log, journal=journal)
        runtime.accounts = AccountService(open_account_store(settings.database))
        runtime.closables.append(runtime.accounts.store)
        _build_settlement_side(runtime)
        runtime.ops = build_operations(settings.database, runtime.metrics, runtime.register)
        runtime.closables.append(runtime.ops)
    except BaseException:
        runtime.close()
        raise
    return runtime


def _build_settlement_side(runtime: Runtime) -> None:
    """Settlement store, address register, signers, transport and the (not yet started) outbox worker."""
    settings = runtime.settings
    settlement_store = open_settlement_store(settings.database)
    runtime.settlements = SettlementService(settlement_store, register=None, signers={})
    register, client = build_register(settings)
    runtime.register = register
    runtime.closables.append(client)
    signers = timed_signers(build_signers(settings), runtime.metrics)
    runtime.closables.extend(signers.values())
    transport = build_transport(settings, register)
    runtime.closables.append(transport)
    worker = OutboxWorker(settlement_store, transport, poll_s=settings.outbox_poll_s, lease_s=settings.outbox_lease_s,
                          policy=RetryPolicy(settings.outbox_max_attempts, settings.outbox_backoff_base_s,
                                             settings.outbox_backoff_max_s),
                          on_delivery=runtime.metrics.delivered, audit=runtime.audit)
    runtime.outbox = worker
    runtime.apprec_decryptor = build_decryptor(settings)
    runtime.settlements = SettlementService(
        settlement_store, register=register, signers=signers, reference_dir=settings.reference_dir,
        processing_status=settings.processing_status, max_batch_bytes=settings.max_settlement_bytes,
        max_apprec_bytes=settings.max_body_bytes, on_queued=worker.wake, audit=runtime.audit,
        apprec_trust_anchors=build_apprec_trust(settings), require_signed_apprec=settings.apprec_require_signature)


def _source_codes(mappings: MappingSet) -> list[str]:
    concept_map = mappings.concept_map("cancellation-origin") or {}
    groups = concept_map.get("group", [])
    return [element["code"] for group in groups for element in group.get("element", [])]
