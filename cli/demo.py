"""`ledgersync demo`: the whole system alive on the sandbox, from a fresh clone.

Embedded Postgres and Redis (or the configured ones), the sandbox's demo scenario, workers, the
scheduler and the webhook receiver as the Procfile runs them, example organizations — a small
company, an accountant's large client with many years, two whose tokens fail in ways the
troubleshooting explains, and one that delivers a SAF-T file — and the terminal UI on top. The
demo keeps its own database (`ledgersync_demo`) and Redis database (9), so it never touches real
data; they are recreated at every start, unless `--keep` (then the demo goes on from where it
stopped). While it runs, `LEDGERSYNC_HOME/demo.env` says where it runs, for the command line
beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import click
import redis

from cli.common import load_settings, run_async
from cli.procfile import process_types
from cli.tables import print_table
from sandbox.scenario import build_scenario
from sandbox.truth import describe
from shared import orgs
from shared.config import Settings
from shared.crypto import TokenCipher, demo_secret_key
from shared.db import connect, with_database
from shared.db.migrate import fresh_database, migrate
from shared.db.queries import Q
from shared.embedded import free_port, servers_for
from shared.models import Method, OrgState, Provider
from shared.queue import sender
from shared.saft.submit import Upload, submit_file

CLI = [sys.executable, "-c", "from cli.main import main; main()"]
DEMO_DATABASE = "ledgersync_demo"
DEMO_REDIS_DB = 9
#: (name, token label, client to choose when the token reaches several)
EXAMPLES = (
    ("Fjordlys Kaffebar", "good", None),
    ("Tall og Tast Regnskap", "accountant", 102),
    ("Lyngheia Barnehage", "no_ledger_access", None),
    ("Østre Sykkelverksted", "integrations_off", None),
)
#: the organization that delivers a SAF-T file instead, and its file (Skatteetaten's example)
SAFT_EXAMPLE = (
    "Tøyen Lekefabrikk",
    Path(__file__).resolve().parent / "demo_data" / "SAF-T Financial_888888888_20180228235959.xml",
)
#: how long the headless demo waits for every organization to settle
HEADLESS_TIMEOUT_S = 1800.0
#: the file under LEDGERSYNC_HOME that points the command line at the running demo
ENV_FILE = "demo.env"
#: what the command line needs of the demo's environment
ENV_FILE_NAMES = (
    "LEDGERSYNC_DATABASE_URL",
    "LEDGERSYNC_REDIS_URL",
    "LEDGERSYNC_TRIPLETEX_URL",
    "LEDGERSYNC_CONSUMER_TOKEN",
    "LEDGERSYNC_SECRET_KEY",
    "LEDGERSYNC_PUBLIC_URL",
)


@dataclass
class Demo:
    """The running demo: its environment and child processes."""

    env: dict[str, str]
    database_url: str
    redis_url: str
    scenario: dict[str, Any]
    children: list[subprocess.Popen[bytes]]

    @property
    def settings(self) -> Settings:
        """The settings every demo process runs with."""
        return Settings.from_env(self.env)


@contextlib.contextmanager
def _running(settings: Settings, *, keep: bool = False) -> Iterator[Demo]:
    """Start the sandbox, workers and scheduler; stop every one of them on the way out.

    The demo's database and Redis database start empty, or (`keep`) as the last demo left them.
    """
    assert settings.database_url is not None
    assert settings.redis_url is not None
    database_url = with_database(settings.database_url, DEMO_DATABASE)
    redis_url = f"{settings.redis_url.rsplit('/', 1)[0]}/{DEMO_REDIS_DB}"
    if keep:
        run_async(lambda: migrate(database_url))
    else:
        run_async(lambda: fresh_database(database_url))
        redis.Redis.from_url(redis_url).flushdb()
    scenario = describe(build_scenario("demo"))
    port, hooks_port = free_port(), free_port()
    env = {
        **os.environ,
        "LEDGERSYNC_DATABASE_URL": database_url,
        "LEDGERSYNC_REDIS_URL": redis_url,
        "LEDGERSYNC_TRIPLETEX_URL": f"http://127.0.0.1:{port}/v2",
        "LEDGERSYNC_CONSUMER_TOKEN": scenario["consumer_token"],
        "LEDGERSYNC_SECRET_KEY": settings.secret_key or demo_secret_key(settings.home),
        "LEDGERSYNC_LOG_FORMAT": "json",
        # the receiver (the Procfile's `web` line) on a port of its own, where the sandbox
        # delivers its webhooks: the demo's organizations are kept fresh by them
        "PORT": str(hooks_port),
        "LEDGERSYNC_PUBLIC_URL": f"http://127.0.0.1:{hooks_port}",
    }
    logs = settings.home / "demo-logs"
    logs.mkdir(parents=True, exist_ok=True)
    # no realistic rate limit (the sandbox's default): the demo shows a sync, not its pacing
    sandbox = [*CLI, "sandbox", "--scenario", "demo", "--port", str(port), "--rate-limit", "100000"]
    commands = {"sandbox": sandbox}
    for name, argv in process_types().items():  # the Procfile's lines, as honcho runs them
        commands[name] = [*CLI, *argv[1:]] if argv[0] == "ledgersync" else argv
    children = []
    env_file = settings.home / ENV_FILE
    try:
        for name, command in commands.items():
            log = (logs / f"{name}.log").open("wb")
            children.append(
                subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
            )
        env_file.unlink(missing_ok=True)
        env_file.touch(mode=0o600)  # it holds the demo's key: readable by us only
        env_file.write_text(env_file_text(env))
        yield Demo(env, database_url, redis_url, scenario, children)
    finally:
        env_file.unlink(missing_ok=True)  # its URLs die with the demo
        _stop(children)


def env_file_text(env: dict[str, str]) -> str:
    """`demo.env`: the lines that point the command line at the running demo (for `source`)."""
    lines = [
        "# The running ledgersync demo. In another terminal: source this file, then run",
        "# ledgersync status, ledgersync org list, ledgersync tui ... against the demo's data.",
        "# Gone when the demo stops.",
    ]
    lines += [f"export {name}={shlex.quote(env[name])}" for name in ENV_FILE_NAMES if name in env]
    return "\n".join(lines) + "\n"


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def _organizations(demo: Demo) -> dict[str, int]:
    """The organizations the demo's database holds: {name: id}."""
    conn = await connect(demo.database_url)
    try:
        return {row["name"]: row["id"] for row in await conn.fetch(Q["org_list"])}
    finally:
        await conn.close()


async def _register(demo: Demo) -> dict[int, int | None]:
    """Register the example organizations (and submit the SAF-T one's file); {org id: client
    to choose}."""
    cipher = TokenCipher(demo.env["LEDGERSYNC_SECRET_KEY"])
    conn = await connect(demo.database_url)
    broker = sender(demo.redis_url)
    chosen: dict[int, int | None] = {}
    try:
        for name, label, client in EXAMPLES:
            token = demo.scenario["tokens"][label]
            new = orgs.NewOrg(name, Method.API, Provider.TRIPLETEX, token=token)
            org_id = await orgs.register(conn, new, cipher=cipher, broker=broker)
            chosen[org_id] = client
        name, path = SAFT_EXAMPLE
        org_id = await orgs.register(conn, orgs.NewOrg(name, Method.SAFT))
        await submit_file(conn, broker, demo.settings, Upload(org_id, [path], actor="demo"))
    finally:
        broker.close()
        await conn.close()
    return chosen


async def _progress(conn: asyncpg.Connection) -> list[list[object]]:
    rows = []
    for org in await conn.fetch(Q["org_list"]):
        years = await conn.fetch(Q["years_progress"], org["id"])
        imported = sum(y["imported"] for y in years)
        expected = sum(y["expected"] or 0 for y in years)
        done = sum(1 for y in years if y["state"] == "synced")
        share = f"{100 * imported // expected}%" if expected else ""
        rows.append(
            [
                org["name"],
                org["state"],
                org["company_name"] or "",
                f"{imported:,}/{expected:,}",
                share,
                f"{done}/{len(years)}",
                (org["state_reason"] or "")[:70],
            ]
        )
    return rows


async def _watch(
    demo: Demo, chosen: dict[int, int | None], stop: threading.Event | None = None
) -> bool:
    """Choose the clients the demo's operator would; return once every organization settled
    (True), or when `stop` is set or the time is up (False)."""
    conn = await connect(demo.database_url)
    broker = sender(demo.redis_url)
    deadline = time.monotonic() + HEADLESS_TIMEOUT_S
    try:
        while not (stop is not None and stop.is_set()):
            states = {r["id"]: r["state"] for r in await conn.fetch(Q["org_list"])}
            for org_id, client in chosen.items():
                if states.get(org_id) == OrgState.CHOOSE_COMPANY and client is not None:
                    await orgs.select_company(
                        conn, org_id, client, orgs.Confirmed(allow_duplicate=True), broker=broker
                    )
            settled = all(s in (OrgState.SYNCED, OrgState.NEEDS_ATTENTION) for s in states.values())
            if stop is None and (settled or time.monotonic() > deadline):
                return settled
            await asyncio.sleep(0.5)
        return False
    finally:
        broker.close()
        await conn.close()


def _with_ui(demo: Demo, chosen: dict[int, int | None]) -> None:
    """The terminal UI on the demo's data, while a thread plays the operator's part."""
    from tui.__main__ import run as run_tui

    stop = threading.Event()
    operator = threading.Thread(
        target=lambda: run_async(lambda: _watch(demo, chosen, stop)), name="demo-operator"
    )
    operator.start()
    try:
        run_tui(demo.settings, read_only=False)
    finally:
        stop.set()
        operator.join(timeout=10)


@click.command()
@click.option("--headless", is_flag=True, help="No live screen; exit once every example settled.")
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the demo's data from its last start instead of starting empty.",
)
def demo(headless: bool, keep: bool) -> None:
    """The whole system on the sandbox: servers, sandbox, workers, example organizations.

    The demo's database is recreated at every start unless --keep. While it runs, source
    LEDGERSYNC_HOME/demo.env in another terminal to run the command line against it.
    """
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    settings = load_settings()
    with servers_for(settings) as ready, _running(ready, keep=keep) as running:
        click.echo("Starting the sandbox, workers, scheduler and webhook receiver ...", err=True)
        kept = run_async(lambda: _organizations(running)) if keep else {}
        if kept:
            click.echo(
                f"Kept the last demo's {len(kept)} organizations; going on from there.", err=True
            )
            chosen = {kept[name]: client for name, _, client in EXAMPLES if name in kept}
        else:
            chosen = run_async(lambda: _register(running))
        env_file = ready.home / ENV_FILE
        click.echo(
            f"For the command line beside the demo, in another terminal: source {env_file}",
            err=True,
        )
        try:
            if not headless:
                _with_ui(running, chosen)
                click.echo("Stopping everything the demo started ...", err=True)
                return
            settled = run_async(lambda: _watch(running, chosen))
        except KeyboardInterrupt:
            click.echo("\nStopping everything the demo started ...", err=True)
            return
        summary = run_async(lambda: _summary(running))
    print_table(["ORGANIZATION", "STATE", "COMPANY", "POSTINGS", "", "YEARS", "REASON"], summary)
    if not settled:
        sys.exit(1)


async def _summary(demo: Demo) -> list[list[object]]:
    conn = await connect(demo.database_url)
    try:
        return await _progress(conn)
    finally:
        await conn.close()
