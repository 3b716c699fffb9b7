"""Server-side secrets: the PIN pepper and the JWT signing key, configured or generated once."""

from __future__ import annotations

import json
import logging
import os
import secrets as _random
import stat
from dataclasses import dataclass, field
from pathlib import Path

from convonet_mcp.settings import Settings

logger = logging.getLogger("convonet.auth")

SECRETS_FILE = "secrets.json"
MIN_SECRET_LENGTH = 32
_KEYS = {"pin_pepper": "CONVONET_PIN_PEPPER", "jwt_secret": "CONVONET_JWT_SECRET"}


class SecretsError(RuntimeError):
    """A secret is missing or unusable; raised at startup, never shown to end users."""


@dataclass(frozen=True)
class Secrets:
    """The server's signing and peppering keys; ``repr`` never shows them."""

    pin_pepper: str = field(repr=False)
    jwt_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        for name, env in _KEYS.items():
            if len(getattr(self, name)) < MIN_SECRET_LENGTH:
                raise SecretsError(f"{env} must be at least {MIN_SECRET_LENGTH} characters long.")

    @classmethod
    def generate(cls) -> Secrets:
        """Return fresh random secrets (for tests and first runs)."""
        return cls(pin_pepper=_random.token_urlsafe(48), jwt_secret=_random.token_urlsafe(48))


def load_secrets(settings: Settings) -> Secrets:
    """Return the secrets for ``settings``; call once at startup.

    Configured values (``CONVONET_PIN_PEPPER``, ``CONVONET_JWT_SECRET``) win. Without
    them, the embedded default keeps generated values in ``data_dir/secrets.json``
    (mode 0600), created on first use and reused afterwards. Losing that file makes
    every stored PIN unverifiable and signs everyone out.

    Raises:
        SecretsError: in production (``CONVONET_PRODUCTION=true``) when a secret is not
            configured, or when a configured secret is shorter than 32 characters.
    """
    configured = {
        name: value.get_secret_value() if value is not None else None
        for name, value in (
            ("pin_pepper", settings.pin_pepper),
            ("jwt_secret", settings.jwt_secret),
        )
    }
    missing = [name for name, value in configured.items() if not value]
    if missing and settings.production:
        names = " and ".join(_KEYS[name] for name in missing)
        raise SecretsError(
            f"{names} must be set in production (CONVONET_PRODUCTION=true); "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if missing:
        stored = _stored_secrets(settings.data_dir / SECRETS_FILE)
        configured = {name: configured[name] or stored[name] for name in _KEYS}
    return Secrets(
        pin_pepper=str(configured["pin_pepper"]), jwt_secret=str(configured["jwt_secret"])
    )


def _stored_secrets(path: Path) -> dict[str, str]:
    """Read the generated secrets file, creating or completing it as needed."""
    existing = _read(path)
    if existing is not None and all(existing.get(name) for name in _KEYS):
        return existing
    fresh = Secrets.generate()
    kept = {name: value for name, value in (existing or {}).items() if value}
    values = {name: getattr(fresh, name) for name in _KEYS} | kept
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{_random.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle)
    try:
        if existing is None:
            try:
                os.link(tmp, path)  # never overwrites: a concurrent first run keeps its file
            except FileExistsError:
                return _stored_secrets(path)
            logger.info("Generated server secrets in %s", path)
        else:
            os.replace(tmp, path)
            logger.info("Completed the server secrets in %s", path)
    finally:
        tmp.unlink(missing_ok=True)
    return values


def _read(path: Path) -> dict[str, str] | None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    if mode & 0o077:
        logger.warning("Tightening permissions of %s to 0600", path)
        path.chmod(0o600)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SecretsError(f"{path} is not valid JSON; fix or delete it.") from exc
    if not isinstance(data, dict):
        raise SecretsError(f"{path} must hold a JSON object; fix or delete it.")
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}
