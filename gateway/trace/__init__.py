"""Traces of mappings: which FHIR element came from which message element, by which map entry or rule."""

from gateway.trace.collector import Trace, TraceEntry

__all__ = ["Trace", "TraceEntry"]
