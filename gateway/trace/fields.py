"""Trace a rendered resource: find every coded and identifier element in it, name the record field it
came from, and what decided it (ConceptMap entry, identifier table, canonical system).

The renderers stay as they are: this walks their output beside the record, so the push path pays
nothing and no coding or identifier can be left out of a trace (the walk finds them all; the
per-kind tables below only name fields). Rules (statuses, fixed codes) are named afterwards by
:mod:`gateway.trace.sources`, which knows the event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gateway.fhir.canonical import BASE
from gateway.fhir.group import VISIT_TYPE_MAPS
from gateway.fhir.mappings import MappingSet
from gateway.primitives.identifiers import IdentifierKind
from gateway.trace.collector import By, Trace, by_canonical, by_identifier_table, by_kept_code, by_translation

__all__ = ["Spec", "field_value", "trace_resource", "walk"]

JSON = dict[str, Any]
# Code elements that are not codings: the statuses and an extension's plain code.
_CODE_KEYS = frozenset({"status", "participantStatus", "valueCode"})
_INDEXED = re.compile(r"^([A-Za-z_]+)\[(\d+)\]$")


def walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, "coding" | "identifier" | "code", value) of every coded or identifier element."""
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and "code" in node:
            yield path, "coding", node
            return
        rest: list[tuple[str, Any]] = list(node.items())
        if isinstance(node.get("system"), str) and "value" in node:
            # An identifier: itself, then what hangs off it (an assigner is identified in turn).
            yield path, "identifier", {"system": node["system"], "value": node["value"]}
            rest = [(key, value) for key, value in node.items() if key not in {"system", "value"}]
        for key, value in rest:
            child = f"{path}.{key}" if path else key
            if key in _CODE_KEYS and isinstance(value, str):
                yield child, "code", value
            else:
                yield from walk(value, child)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, f"{path}[{index}]")


@dataclass(frozen=True, slots=True)
class Spec:
    field: str                  # record field, e.g. "time_type_code" or "participants[1].patient"
    map_id: str | None = None   # the ConceptMap that translates it, if any


def field_value(record: Any, field: str) -> Any:
    """The value of a field path such as ``participants[1].patient`` on a record (None if absent)."""
    value = record
    for part in field.split("."):
        match = _INDEXED.match(part)
        name, index = (match[1], int(match[2])) if match else (part, None)
        value = getattr(value, name, None)
        if index is not None:
            value = value[index] if isinstance(value, (list, tuple)) and index < len(value) else None
        if value is None:
            return None
    return value


def _index(path: str, name: str) -> tuple[int, str] | None:
    """(n, rest) when ``path`` is ``name[n]`` or ``name[n].rest``."""
    match = re.match(rf"^{name}\[(\d+)\]\.?(.*)$", path)
    return (int(match[1]), match[2]) if match else None


def _extension_field(resource: JSON, path: str, prefix: str = "") -> str:
    found = _index(path, "extension")
    if found is None:
        return prefix + "extension"
    url = str(resource.get("extension", [{}])[found[0]].get("url", ""))
    name = url.rsplit("/", 1)[-1]
    return prefix + _EXTENSION_FIELDS.get(name, name.replace("-", "_"))


_EXTENSION_FIELDS = {"booking-origin": "origin", "participant-attendance": "attendance", "fee-rule": "fee_rule",
                     "participant-booking": "booking_id", "participant-cancellation": "cancelled_by",
                     "patient-fee": "fee_code", "payment-method": "payment_method", "action-code": "action_code",
                     "open-invitation": "was_invitation"}


def _appointment(record: Any, resource: JSON, path: str) -> Spec:
    prefixes: list[tuple[tuple[str, ...], Spec]] = [
        (("identifier[0].assigner",), Spec("facility")),
        (("identifier",), Spec("booking_id")),
        (("appointmentType",), Spec("time_type_code", "crm-time-type")),
        (("serviceCategory",), Spec("care_type_code", "crm-care-type")),
        (("class",), Spec("time_type_code", "crm-time-type-contact-mode")),
        (("cancelationReason", "cancellationReason"), Spec("cancellation_source", "cancellation-origin")),
        (("subject",), Spec("patient")),
    ]
    for starts, spec in prefixes:
        if path.startswith(starts):
            return spec
    if path.startswith("extension"):
        return Spec(_extension_field(resource, path))
    found = _index(path, "participant")
    if found is not None:
        actor = resource["participant"][found[0]].get("actor", {}).get("type")
        field = {"Patient": "patient", "Practitioner": "performer", "HealthcareService": "facility",
                 "Location": "resource_id"}.get(actor, "participant")
        return Spec(f"{field}_status" if found[1] == "status" and field == "patient" else
                    "participant_status" if found[1] == "status" else field)
    return Spec(path.split(".", 1)[0].split("[", 1)[0])


def _appointment_response(record: Any, resource: JSON, path: str) -> Spec:
    return Spec("actor" if path.startswith("actor") else "participant_status" if path == "participantStatus"
                else path)


def _group_session(record: Any, resource: JSON, path: str) -> Spec:
    if path.startswith("identifier"):
        return Spec("session_id")
    if path.startswith("appointmentType"):
        return Spec("visit_type_code", VISIT_TYPE_MAPS.get(record.system))
    if path.startswith(("cancelationReason", "cancellationReason")):
        return Spec("cancelled_by")
    if path.startswith("subject"):
        return Spec("group_id")
    if path.startswith("extension"):
        return Spec(_extension_field(resource, path))
    found = _index(path, "participant")
    if found is None:
        return Spec(path.split(".", 1)[0])
    participants = resource["participant"]
    kind = participants[found[0]].get("actor", {}).get("type")
    same = sum(1 for item in participants[:found[0]] if item.get("actor", {}).get("type") == kind)
    if kind != "Patient":
        if found[1] == "status":
            return Spec("participant_status")
        return Spec("unit" if kind == "HealthcareService" else f"practitioners[{same}]")
    prefix = f"participants[{same}]."
    rest = found[1]
    if rest.startswith("extension"):
        return Spec(_extension_field(participants[found[0]], rest, prefix))
    return Spec(prefix + ("status" if rest == "status" else "patient"))


def _encounter(record: Any, resource: JSON, path: str) -> Spec:
    if path.startswith("type"):
        system = "elvis" if record.unit.kind == IdentifierKind.HSA_ID.value else "no"
        return Spec("visit_type_code", VISIT_TYPE_MAPS.get(system))
    for prefix, field in (("identifier", "source_id"), ("class", "contact_mode"), ("subject", "patient"),
                          ("serviceProvider", "unit"), ("status", "status")):
        if path.startswith(prefix):
            return Spec(field)
    if path.startswith("extension"):
        return Spec(_extension_field(resource, path))
    found = _index(path, "participant")
    return Spec(f"practitioners[{found[0]}]" if found else path)


def _schedule(record: Any, resource: JSON, path: str) -> Spec:
    for name, field, map_id in (("serviceCategory", "care_types", "crm-care-type"),
                                ("serviceType", "time_types", "crm-time-type")):
        found = _index(path, name)
        if found is not None:
            return Spec(f"{field}[{found[0]}].code", map_id)
    found = _index(path, "actor")
    if found is not None:
        actor = resource["actor"][found[0]].get("type")
        return Spec({"HealthcareService": "facility", "Practitioner": "performer"}.get(actor, "resource_id"))
    return Spec(path)


def _slot(record: Any, resource: JSON, path: str) -> Spec:
    if path.startswith("serviceCategory"):
        return Spec("care_type.code", "crm-care-type")
    if path.startswith(("serviceType", "appointmentType")):
        return Spec("time_type.code", "crm-time-type")
    return Spec(path)


_SPECS: dict[str, Callable[[Any, JSON, str], Spec]] = {
    "appointment": _appointment, "appointment-response": _appointment_response, "group-session": _group_session,
    "encounter": _encounter, "schedule": _schedule, "slot": _slot,
}


def _canonical(system: str) -> By | None:
    for what, folder in (("namingSystem", "NamingSystem"), ("codeSystem", "CodeSystem")):
        prefix = f"{BASE}/{folder}/"
        if system.startswith(prefix):
            return by_canonical(what, system[len(prefix):])
    return None


def _by(what: str, value: Any, spec: Spec, record: Any, *, mappings: MappingSet, systems: dict[str, str]) -> By | None:
    if what == "code":
        return None  # a rule: named with the event (gateway.trace.sources)
    system = str(value.get("system"))
    if what == "identifier":
        kind = systems.get(system)
        return by_identifier_table(kind) if kind is not None else _canonical(system)
    if spec.map_id is not None and mappings.has(spec.map_id):
        concept_map = mappings.concept_map(spec.map_id) or {}
        if system == mappings.source_system(spec.map_id):
            return by_kept_code(spec.map_id, concept_map.get("url"))
        code = field_value(record, spec.field)
        translation = mappings.translate(spec.map_id, code) if isinstance(code, str) else None
        if translation is not None and (translation.system, translation.code) == (system, value.get("code")):
            return by_translation(translation)
    return _canonical(system)


def trace_resource(trace: Trace, record: Any, resource: JSON, mappings: MappingSet) -> None:
    """Add an entry for every coded or identifier element of ``resource`` (rendered from ``record``)."""
    spec_of = _SPECS.get(record.kind)
    systems = {mappings.identifier_system(kind): kind.value for kind in IdentifierKind}
    trace.resource = f"{resource.get('resourceType')}/{resource.get('id')}"
    for path, what, value in walk(resource):
        if path in {"resourceType", "id"} or path.startswith("meta"):
            continue
        spec = spec_of(record, resource, path) if spec_of is not None else Spec(path)
        trace.add(path, value, spec.field, _by(what, value, spec, record, mappings=mappings, systems=systems))
