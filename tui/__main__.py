"""`python -m tui [--read-only] [--bell]`: the operators' UI (`ledgersync tui` runs this `run`)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from shared.config import Settings
from shared.db.migrate import migrate
from shared.embedded import servers_for
from shared.logging import LogConfig, configure_logging


def log_file(settings: Settings) -> Path:
    """Where the UI logs: never the screen."""
    return settings.home / "logs" / "tui.log"


def run(settings: Settings, *, read_only: bool, bell: bool = False) -> None:
    """Log to the file, build the real data source, run the App until the operator quits;
    `bell`: alerts ring the terminal's bell too."""
    from tui.app import LedgersyncApp
    from tui.pg_source import PgSource

    configure_logging(settings, LogConfig(file=log_file(settings)))
    source = PgSource(settings, read_only=read_only)
    LedgersyncApp(source, read_only=read_only, bell=bell).run()


def main() -> None:
    """Settings from the environment, servers (embedded unless configured), schema up to date."""
    settings = Settings.from_env()
    configure_logging(settings, LogConfig(file=log_file(settings)))
    with servers_for(settings) as ready:
        assert ready.database_url is not None
        asyncio.run(migrate(ready.database_url, create=settings.database_url is None))
        run(ready, read_only="--read-only" in sys.argv[1:], bell="--bell" in sys.argv[1:])


if __name__ == "__main__":
    main()
