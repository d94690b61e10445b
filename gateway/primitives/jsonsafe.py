"""One hardened JSON decode and one JSON Schema check for every JSON input of the gateway.

Shared by the settlement batch (:mod:`gateway.settlement.batch`) and the Norwegian group-appointment
events (:mod:`adapters.inbound.no_group`). Each caller names its error-code prefix (``BATCH``,
``EVENT``, ``JSON``) so its codes stay stable while the walls are the same:

- strict UTF-8 (a leading BOM is allowed), size checked before decoding;
- no duplicate keys: a second ``"amount"`` or ``"capacity"`` silently winning is how data goes
  missing;
- no string holding a character no XML message or FHIR string can carry (a lone surrogate, a C0
  control other than tab, CR and LF, U+FFFE/U+FFFF): ``\\u0000`` or ``\\ud800`` are valid JSON escapes,
  and such a value would otherwise fail only later, when it is written out as XML or UTF-8;
- no NaN/Infinity, no integers longer than 15 digits, number literals with a fraction become
  :class:`~decimal.Decimal` (never binary floating point) and the schemas refuse them where they
  expect strings;
- schema findings located by JSON pointer: shape faults (type, required, unknown property) are
  :class:`MalformedInput` (400), value faults (pattern, enum, range) :class:`Unprocessable` (422).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final, NoReturn

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator, ValidationError

from gateway.primitives.errors import Issue, MalformedInput, PayloadTooLarge, Unprocessable

__all__ = [
    "SHAPE_VALIDATORS",
    "SchemaValidator",
    "check_schema",
    "decode_json",
    "inline_refs",
    "looks_like_json",
    "pointer",
    "validator_for",
]

_MAX_INT_DIGITS: Final = 15
_MAX_NUMBER_CHARS: Final = 40
_MAX_ISSUES: Final = 50
# Characters outside XML 1.0's Char production (and FHIR's string rule). Strict UTF-8 decoding never
# yields a surrogate and json.loads refuses raw controls, so only \u escapes (and raw U+FFFE/U+FFFF)
# can bring them in: the document is walked only when the text holds such an escape.
_FORBIDDEN_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORBIDDEN_ESCAPE = re.compile(r"\\u(?:00[01][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])")
SHAPE_VALIDATORS: Final = frozenset(
    {"type", "required", "additionalProperties", "unevaluatedProperties", "minItems", "maxItems", "uniqueItems",
     "minProperties", "propertyNames"}
)


def inline_refs(node: Any, defs: Mapping[str, Any]) -> Any:
    """Resolve ``#/$defs/…`` once, up front. jsonschema looks every ``$ref`` up again on each
    instance, which more than doubles validation time of large documents. Only for schemas without
    recursive ``$ref`` (this would not terminate); any other ``$ref`` is left for jsonschema."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
            siblings = {k: inline_refs(v, defs) for k, v in node.items() if k != "$ref"}
            return {**inline_refs(defs[ref[8:]], defs), **siblings}
        return {k: inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [inline_refs(v, defs) for v in node]
    return node


def _hooks(prefix: str) -> tuple[Callable[[list[tuple[str, Any]]], dict[str, Any]], Callable[[str], int],
                                 Callable[[str], Decimal], Callable[[str], Any]]:
    def reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise MalformedInput(f"{prefix}_JSON_DUPLICATE_KEY", f"the key {key!r} occurs twice in one object")
            result[key] = value
        return result

    def parse_int(text: str) -> int:
        digits = text.lstrip("-")
        if len(digits) > _MAX_INT_DIGITS:
            raise MalformedInput(f"{prefix}_JSON_NUMBER_TOO_LARGE",
                                 f"an integer of {len(digits)} digits is over the limit")
        return int(text)

    def parse_float(text: str) -> Decimal:
        if len(text) > _MAX_NUMBER_CHARS:
            raise MalformedInput(f"{prefix}_JSON_NUMBER_TOO_LARGE", "a number literal is over the limit")
        return Decimal(text)

    def parse_constant(name: str) -> Any:
        raise MalformedInput(f"{prefix}_JSON_MALFORMED", f"{name} is not a JSON value")

    return reject_duplicates, parse_int, parse_float, parse_constant


#: A BOM, JSON's own white space, then an object or array: matched in place, never copying the body.
_JSON_START: Final = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[{\[]")


def looks_like_json(body: bytes) -> bool:
    """Whether a message is JSON rather than XML, from its first character (after a BOM and blanks)."""
    return _JSON_START.match(body) is not None


def decode_json(data: bytes, *, max_bytes: int, prefix: str, what: str) -> Any:
    """Decode ``data`` behind the walls of the module docstring; ``what`` names the document in
    messages ("batch", "event")."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedInput(f"{prefix}_JSON_NOT_BYTES", f"a {what} must be given as bytes")
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            "PAYLOAD_TOO_LARGE", f"{what} of {len(data)} bytes is over the limit of {max_bytes} bytes"
        )
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedInput(f"{prefix}_JSON_NOT_UTF8", f"the {what} is not UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    pairs, parse_int, parse_float, parse_constant = _hooks(prefix)
    try:
        document = json.loads(text, object_pairs_hook=pairs, parse_int=parse_int, parse_float=parse_float,
                              parse_constant=parse_constant)
    except json.JSONDecodeError as exc:
        raise MalformedInput(
            f"{prefix}_JSON_MALFORMED", f"not well-formed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise MalformedInput(f"{prefix}_JSON_TOO_DEEP", "JSON nesting is too deep") from None
    if _FORBIDDEN_ESCAPE.search(text) or "\ufffe" in text or "\uffff" in text:
        _refuse_forbidden_characters(document, prefix=prefix, what=what)
    return document


def _refuse_forbidden_characters(document: Any, *, prefix: str, what: str) -> None:
    stack: list[tuple[Any, tuple[object, ...]]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if (found := _FORBIDDEN_CHARACTER.search(key)) is not None:
                    _raise_forbidden(found[0], pointer(path), prefix=prefix, what=what)
                stack.append((value, (*path, key)))
        elif isinstance(node, list):
            stack.extend((value, (*path, index)) for index, value in enumerate(node))
        elif isinstance(node, str) and (found := _FORBIDDEN_CHARACTER.search(node)) is not None:
            _raise_forbidden(found[0], pointer(path) or "/", prefix=prefix, what=what)


def _raise_forbidden(character: str, location: str, *, prefix: str, what: str) -> NoReturn:
    raise MalformedInput(f"{prefix}_JSON_CHARACTER_INVALID",
                         f"the {what} holds U+{ord(character):04X}, a character no XML message or FHIR string "
                         "can carry", location=location or "/")


def pointer(path: Iterable[object]) -> str:
    """RFC 6901 JSON pointer of a path of keys and indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


class SchemaValidator:
    """A JSON Schema, compiled twice: jsonschema-rs answers "valid?" (a 10,000-bill batch in tens
    of milliseconds instead of seconds), and only an invalid document is walked again by
    jsonschema, whose error objects give the stable codes and JSON pointers."""

    __slots__ = ("fast", "precise")

    def __init__(self, schema: Mapping[str, Any]) -> None:
        defs = schema.get("$defs", {})
        self.precise = Draft202012Validator(inline_refs(schema, defs if isinstance(defs, dict) else {}))
        self.fast = jsonschema_rs.validator_for(dict(schema))

    def is_valid(self, document: Any) -> bool:
        # jsonschema-rs sees a Decimal as a float (1.0 passes as an integer); jsonschema does not.
        # Number literals with a fraction are rare in these documents, so their presence sends the
        # document the precise way.
        if _has_decimal(document):
            return False
        try:
            return bool(self.fast.is_valid(document))
        except (TypeError, ValueError):  # a value jsonschema-rs cannot take: ask jsonschema
            return False


def _has_decimal(document: Any) -> bool:
    # orjson refuses Decimal (and anything else not plain JSON) in C: a fast walk of the whole tree.
    try:
        orjson.dumps(document)
    except TypeError:
        return True
    return False


def check_schema(validator: SchemaValidator, document: Any, *, prefix: str, what: str) -> None:
    """Raise with every finding (up to 50) as an :class:`Issue`; codes ``<prefix>_SHAPE_INVALID``
    (400) and ``<prefix>_VALUE_INVALID`` (422). A document with any shape fault is a 400."""
    if validator.is_valid(document):
        return
    errors = sorted(validator.precise.iter_errors(document),
                    key=lambda e: (pointer(e.absolute_path), str(e.validator)))
    if not errors:
        return
    issues = [_issue(e, prefix) for e in errors[:_MAX_ISSUES]]
    shape = next((i for i in issues if i.code == f"{prefix}_SHAPE_INVALID"), None)
    first = shape or issues[0]
    error_type = MalformedInput if shape else Unprocessable
    raise error_type(
        first.code,
        f"the {what} breaks its schema in {len(errors)} place(s); first: {first.message}",
        location=first.location,
        issues=issues,
    )


def _issue(error: ValidationError, prefix: str) -> Issue:
    if "propertyNames" in error.relative_schema_path:
        # A property this kind of document may not carry: a shape fault, located at the property
        # itself rather than at the object that holds it.
        allowed = error.validator_value if isinstance(error.validator_value, list) else None
        message = f"unexpected property {error.instance!r}" + (f" (allowed here: {', '.join(map(str, allowed))})"
                                                              if allowed else "")
        return Issue(f"{prefix}_SHAPE_INVALID", message, pointer([*error.absolute_path, error.instance]))
    code = f"{prefix}_SHAPE_INVALID" if error.validator in SHAPE_VALIDATORS else f"{prefix}_VALUE_INVALID"
    return Issue(code, error.message, pointer(error.absolute_path) or "/")


def validator_for(schema: Mapping[str, Any]) -> SchemaValidator:
    return SchemaValidator(schema)
