"""The Alembic environment of the gateway's database (both engines): ``env.py``, ``versions/``.

Run through :mod:`gateway.store.migrate` (``nordgate db upgrade``), never by importing these files.
"""
