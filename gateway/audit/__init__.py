"""The append-only audit trail: who pushed, read, signed, sent and received what (README "Audit trail").

- :mod:`gateway.domain.audit`: what one row holds and how it is hashed into the chain;
- :mod:`gateway.domain.audit_chain`: linking new rows and verifying a stored chain;
- :mod:`gateway.store.audit_sql`, :mod:`gateway.store.audit_sqlite`, :mod:`gateway.store.audit_postgres`: storage;
- :mod:`gateway.audit.recorder`: when rows are written (in the push's transaction, buffered, durable);
- :mod:`gateway.audit.context`, :mod:`gateway.api.audit_middleware`: who did it, and the HTTP hook.
"""

__all__: list[str] = []
