"""Child process of bench_bookings.py: serve the real gateway or the bare FastAPI floor with uvicorn.

    python benchmarks/_serve.py gateway --port 8123 --db /tmp/x/bench.db
    python benchmarks/_serve.py bare --port 8124

Both are served exactly as ``nordgate serve`` serves the gateway (gateway/cli/bookings.py): one
process, uvicorn's defaults for loop and HTTP parser, ``log_level="warning"``, no access log.
"""

from __future__ import annotations

import argparse
import hashlib

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

#: The gateway refuses unauthenticated requests; the benchmark's client, known only to this local
#: loopback process, sends this key (the bare floor ignores it). Never a real key.
BENCH_KEY = "ngk_benchmark-only-not-a-secret"
AUTH_HEADERS = {"Authorization": f"Bearer {BENCH_KEY}"}


def bare_app() -> FastAPI:
    """The floor: the same framework, one POST route that reads the body and answers 200."""
    app = FastAPI(title="bare")

    @app.post("/bookings")
    async def push(request: Request) -> Response:
        await request.body()
        return Response(b'{"ok":true}', status_code=200, media_type="application/json")

    return app


def gateway_app(db: str, port: int) -> FastAPI:
    # Imported here so that the bare floor never depends on (or pays for) the gateway's imports.
    from gateway.api import create_app  # noqa: PLC0415
    from gateway.config.settings import load_settings  # noqa: PLC0415
    from gateway.domain.access import ALL_SCOPES  # noqa: PLC0415

    client = {"client_id": "benchmark", "key_sha256": hashlib.sha256(BENCH_KEY.encode()).hexdigest(),
              "scopes": sorted(ALL_SCOPES), "tenants": ["*"]}
    return create_app(load_settings(database_url=f"sqlite:///{db}", host="127.0.0.1", port=port, api_keys=[client]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=["gateway", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", help="SQLite file for the gateway")
    args = parser.parse_args()
    app = gateway_app(args.db, args.port) if args.which == "gateway" else bare_app()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
