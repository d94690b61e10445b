"""Persistence: the store port, the SQLite store, group commit."""
