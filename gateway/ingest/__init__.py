"""Ingest: inbound messages from bytes to stored, versioned records, through the registry of inbound
formats and the handler of each kind of event."""
