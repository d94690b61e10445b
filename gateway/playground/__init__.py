"""The web playground: a page served by the gateway to try messages, see their FHIR, trace and diff."""

__all__: list[str] = []
