"""Settings from the environment, under the names of the outside contract."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from shared.errors import ConfigError

#: Tripletex production API base.
DEFAULT_TRIPLETEX_URL = "https://tripletex.no/v2"
#: where embedded servers keep their data when LEDGERSYNC_HOME is unset
DEFAULT_HOME = Path("~/.local/share/ledgersync")
LOG_FORMATS = ("console", "json")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, read once at an entry point and passed down explicitly."""

    home: Path
    database_url: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    tripletex_url: str = DEFAULT_TRIPLETEX_URL
    consumer_token: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    log_format: str | None = None
    #: the application name Tripletex issued with the consumer token, which customers type when
    #: they create an employee token for us (shown in the message to the customer)
    application_name: str | None = None
    #: the address at which Tripletex reaches the webhook receiver (`ledgersync web`); None:
    #: organizations are kept fresh by checksum polls alone
    public_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings; raise one ConfigError naming every invalid variable."""
        problems: list[str] = []
        log_format = environ.get("LEDGERSYNC_LOG_FORMAT") or None
        if log_format is not None and log_format not in LOG_FORMATS:
            problems.append(
                f"LEDGERSYNC_LOG_FORMAT must be 'console' or 'json', not {log_format!r}"
            )
        tripletex_url = environ.get("LEDGERSYNC_TRIPLETEX_URL") or DEFAULT_TRIPLETEX_URL
        if not tripletex_url.startswith(("http://", "https://")):
            problems.append("LEDGERSYNC_TRIPLETEX_URL must start with http:// or https://")
        database_url = environ.get("LEDGERSYNC_DATABASE_URL") or None
        if database_url and not database_url.startswith(("postgres://", "postgresql://")):
            problems.append("LEDGERSYNC_DATABASE_URL must be a postgresql:// URL")
        redis_url = environ.get("LEDGERSYNC_REDIS_URL") or None
        if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            problems.append("LEDGERSYNC_REDIS_URL must be a redis:// URL")
        public_url = (environ.get("LEDGERSYNC_PUBLIC_URL") or "").strip() or None
        if public_url and not public_url.startswith(("http://", "https://")):
            problems.append("LEDGERSYNC_PUBLIC_URL must start with http:// or https://")
        if problems:
            raise ConfigError("Invalid configuration: " + "; ".join(problems) + ".")
        return cls(
            home=Path(environ.get("LEDGERSYNC_HOME") or DEFAULT_HOME).expanduser(),
            database_url=database_url,
            redis_url=redis_url,
            tripletex_url=tripletex_url.rstrip("/"),
            consumer_token=environ.get("LEDGERSYNC_CONSUMER_TOKEN") or None,
            secret_key=environ.get("LEDGERSYNC_SECRET_KEY") or None,
            log_format=log_format,
            application_name=(environ.get("LEDGERSYNC_APPLICATION_NAME") or "").strip() or None,
            public_url=public_url.rstrip("/") if public_url else None,
        )

    def with_servers(self, database_url: str, redis_url: str) -> Settings:
        """A copy that points at the given Postgres and Redis."""
        return replace(self, database_url=database_url, redis_url=redis_url)

    def require(self, *names: str) -> None:
        """Raise one ConfigError listing every named setting that is unset."""
        missing = [name for name in names if getattr(self, name) is None]
        if missing:
            variables = ", ".join(f"LEDGERSYNC_{name.upper()}" for name in missing)
            raise ConfigError(f"Missing configuration: set {variables} and try again.")

    def secret_values(self) -> tuple[str, ...]:
        """The configured secrets, for the log redactor to mask wherever they appear."""
        return tuple(v for v in (self.consumer_token, self.secret_key) if v)
