"""Content negotiation: which FHIR release a client wants, and which bodies an endpoint takes."""

from __future__ import annotations

import re

from gateway.fhir.common import FhirVersion
from gateway.primitives.errors import MalformedInput, UnsupportedMediaType
from gateway.primitives.media_types import XML_MEDIA_TYPES

__all__ = ["XML_TYPES", "fhir_version_from", "require_media_type"]

XML_TYPES = XML_MEDIA_TYPES
_FHIR_VERSION = re.compile(r"fhirVersion\s*=\s*\"?([0-9.]+)\"?", re.IGNORECASE)
_KNOWN = {"4.0": FhirVersion.R4, "4.0.1": FhirVersion.R4, "5.0": FhirVersion.R5, "5.0.0": FhirVersion.R5}


def fhir_version_from(accept: str | None, query_value: str | None, default: FhirVersion) -> FhirVersion:
    """The ``fhirVersion`` media-type parameter of Accept (or the ``_fhirVersion`` query parameter)."""
    wanted = query_value
    if wanted is None and accept:
        match = _FHIR_VERSION.search(accept)
        wanted = match[1] if match else None
    if wanted is None:
        return default
    try:
        return _KNOWN[wanted]
    except KeyError:
        raise MalformedInput("FHIR_VERSION_UNSUPPORTED",
                             f"fhirVersion {wanted} is not served; use 4.0 (R4, default) or 5.0 (R5)") from None


def require_media_type(content_type: str | None, allowed: tuple[str, ...]) -> None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in allowed:
        raise UnsupportedMediaType(
            "MEDIA_TYPE_UNSUPPORTED",
            f"Content-Type {media or '(none)'} is not accepted here; send one of: {', '.join(allowed)}")
