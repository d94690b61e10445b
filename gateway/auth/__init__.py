"""Who is calling: bearer JWTs and API keys, scopes and tenants (see gateway/domain/access.py)."""
