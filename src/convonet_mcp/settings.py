"""Settings for the MCP server and the domain core, read from ``CONVONET_*`` variables."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "convonet"


def default_data_dir() -> Path:
    """Return the per-user data directory (not created here)."""
    return Path(user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """Configuration of ``convonet_mcp``; every field maps to ``CONVONET_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CONVONET_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    redis_url: str | None = None
    user: str | None = Field(
        default=None, description="Email or username of the acting user on stdio."
    )
    pin_pepper: SecretStr | None = None
    jwt_secret: SecretStr | None = None
    production: bool = False
    toolsets: str | None = Field(
        default=None, description="Comma-separated tool groups to expose (default: all)."
    )
    read_only: bool = False
    http_allowed_origins: list[str] | None = Field(
        default=None,
        description="Browser origins allowed to call the MCP HTTP endpoint.",
    )
    pin_max_failures: int = 5
    pin_lock_minutes: int = 15
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def is_embedded_database(self) -> bool:
        """True when no database URL is configured and the SQLite default is used."""
        return self.database_url is None

    def resolved_database_url(self) -> str:
        """Return the configured URL, or the embedded SQLite file's URL."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'convonet.db'}"
