"""The media types of XML and JSON bodies: the one list the push routes, the inbound adapters and
the body guard's syntax check all read."""

from __future__ import annotations

from typing import Final

__all__ = ["FHIR_JSON_MEDIA_TYPE", "FHIR_XML_MEDIA_TYPE", "JSON_MEDIA_TYPES", "XML_MEDIA_TYPES"]

#: The content types of an XML push (bare or SOAP 1.1/1.2).
XML_MEDIA_TYPES: Final = ("application/xml", "text/xml", "application/soap+xml")
#: The content types of a JSON push.
JSON_MEDIA_TYPES: Final = ("application/json",)
#: FHIR's own media types (a FHIR resource as XML or JSON); no push takes them, but their syntax is
#: checked all the same.
FHIR_XML_MEDIA_TYPE: Final = "application/fhir+xml"
FHIR_JSON_MEDIA_TYPE: Final = "application/fhir+json"
