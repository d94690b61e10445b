"""The domain: canonical events, stored records and the settlement model, as plain frozen
dataclasses and pure rules. No I/O and no wire format (contract ``domain-no-io`` in pyproject)."""
