"""Entry point of the `ledgersync` command: the group and the commands of the contract."""

from __future__ import annotations

import click

from cli.check import check
from cli.common import run_command
from cli.db import db
from cli.demo import demo
from cli.jobs import jobs
from cli.ledger import ledger
from cli.org import org
from cli.org_cancel import ORG_CANCEL_COMMANDS
from cli.saft import saft
from cli.sandbox import sandbox
from cli.scheduler import scheduler
from cli.status import status
from cli.tui import tui
from cli.web import web
from cli.worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="ledgersync")
def ledgersync() -> None:
    """Onboard accounting customers by API: Tripletex ledgers (or SAF-T files) into Postgres.

    Without LEDGERSYNC_DATABASE_URL / LEDGERSYNC_REDIS_URL, embedded Postgres and Redis are
    started under LEDGERSYNC_HOME and shared by every ledgersync process on this machine.
    """


ledgersync.add_command(db)
ledgersync.add_command(demo)
ledgersync.add_command(sandbox)
ledgersync.add_command(org)
ledgersync.add_command(worker)
ledgersync.add_command(status)
ledgersync.add_command(scheduler)
ledgersync.add_command(web)
ledgersync.add_command(check)
ledgersync.add_command(tui)
ledgersync.add_command(jobs)
for org_command in ORG_CANCEL_COMMANDS:
    org.add_command(org_command)
ledgersync.add_command(saft)
ledgersync.add_command(ledger)


def main() -> None:
    """Run the command line with the contract's exit codes and one-sentence errors."""
    run_command(ledgersync)
