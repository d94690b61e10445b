"""The API fixtures (an app on a temporary SQLite file, in-process or on a loopback port)."""

from tests.gateway.api.conftest import client, live_url, settings

__all__ = ["client", "live_url", "settings"]
