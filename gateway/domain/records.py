"""Stored records: version-neutral dataclasses, rendered to FHIR R4 or R5 on read.

Storing the record rather than one FHIR release means a reader chooses the release per request, and
a changed ConceptMap shows on the next read after a restart without re-ingesting anything. Each
record class names its ``kind`` (what the JSON says it is) and the FHIR ``resource_type`` it is
stored and served as; several kinds may share a resource type (a one-patient booking and a group
session are both Appointments). The kinds are listed in :mod:`gateway.fhir.kinds`.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import orjson

__all__ = ["RESOURCE_IDS", "PersonRef", "Record", "decode_record", "encode_record"]

#: The uuid5 namespace of every id nordgate gives a stored resource: the same message makes the same id.
RESOURCE_IDS = uuid.UUID("6f1c1f7e-4a0e-5b8e-9a53-6e6f72646761")


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A person or unit referred to by identifier (the gateway is not the master of people)."""

    kind: str  # an IdentifierKind value
    value: str
    display: str | None = None


class Record(Protocol):
    kind: ClassVar[str]
    resource_type: ClassVar[str]

    @property
    def id(self) -> str: ...


def encode_record(record: Record) -> bytes:
    # orjson serialises dataclasses natively (ten times faster than dataclasses.asdict); the kind is
    # spliced in front so that decoding knows the class.
    body = orjson.dumps(record)
    return b'{"kind":' + orjson.dumps(record.kind) + (b"," + body[1:] if len(body) > 2 else b"}")


@functools.cache
def _field_builders(cls: type) -> dict[str, Callable[[Any], Any]]:
    """How to rebuild each field of ``cls`` that holds nested dataclasses (found once per class)."""
    builders: dict[str, Callable[[Any], Any]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        builder = _builder(hint)
        if builder is not None:
            builders[name] = builder
    return builders


def _builder(hint: Any) -> Callable[[Any], Any] | None:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        nested = hint
        return lambda value: _build(nested, value) if isinstance(value, dict) else value
    if origin in (typing.Union, types.UnionType):
        inner = [_builder(arg) for arg in typing.get_args(hint) if arg is not type(None)]
        found = [builder for builder in inner if builder is not None]
        return found[0] if found else None
    if origin is tuple:
        args = typing.get_args(hint)
        item = _builder(args[0]) if args else None
        if item is None:
            return lambda value: tuple(value) if isinstance(value, list) else value
        return lambda value: tuple(item(entry) for entry in value) if isinstance(value, list) else value
    return None


def _build(cls: type, data: dict[str, Any]) -> Any:
    builders = _field_builders(cls)
    return cls(**{name: builders[name](value) if name in builders else value for name, value in data.items()})


def decode_record(data: bytes, kinds: dict[str, type]) -> Any:
    fields = orjson.loads(data)
    kind = fields.pop("kind")
    return _build(kinds[kind], fields)
