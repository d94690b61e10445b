"""Primitives: the small pieces every layer may use (errors, identifiers, safe XML/JSON parsing,
the project's data files). They import nothing of the gateway but each other."""
