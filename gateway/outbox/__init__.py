"""The outbox: signed messages waiting for delivery, and the worker that delivers them."""

__all__: list[str] = []
