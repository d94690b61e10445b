"""Where a signer's secret (PKCS#12 password, smart-card PIN) comes from.

Only two places are allowed: an environment variable, named by the setting, or a file (a mounted
secret). Never a command-line argument, which every user of the machine can read in the process
list. Errors name the variable or file, never the value.
"""

from __future__ import annotations

import os
from pathlib import Path

from gateway.primitives.errors import ConfigurationError

__all__ = ["read_secret"]


def read_secret(*, what: str, env: str | None = None, file: Path | str | None = None) -> str:
    """The secret from exactly one of ``env`` (variable name) or ``file``; trailing newlines dropped.

    ``what`` names the secret in error messages ("PKCS#12 password", "smart-card PIN").
    """
    if (env is None) == (file is None):
        raise ConfigurationError(
            "SIGNING_SECRET_SOURCE",
            f"give the {what} either as an environment variable name or as a file path, not both or none",
        )
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise ConfigurationError(
                "SIGNING_SECRET_MISSING", f"the {what} variable {env} is not set or is empty"
            )
        return value
    path = Path(str(file))
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ConfigurationError(
            "SIGNING_SECRET_MISSING", f"the {what} file {path} cannot be read ({exc.strerror})"
        ) from None
    if not value:
        raise ConfigurationError("SIGNING_SECRET_MISSING", f"the {what} file {path} is empty")
    return value
