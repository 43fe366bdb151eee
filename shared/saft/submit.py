"""Submitting a SAF-T file for import, for the command line and the terminal UI alike.

Cheap checks first (the file exists, is XML, has the SAF-T namespace and a known version, is
this organization's company); then the file is copied under LEDGERSYNC_HOME/saft/ (hashing it
on the way), where the workers read it, and the import is queued by id. The same content
submitted again, while it is still the organization's current import of its period, is not
imported twice: the earlier import is returned.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared import audit
from shared.config import Settings
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import Method, OrgState
from shared.orgs.state import set_state, settle_current_file
from shared.queue import send
from shared.saft.checks import check_company
from shared.saft.errors import MismatchedParts
from shared.saft.files import resolve_parts
from shared.saft.model import Header
from shared.saft.reader import sniff

#: bytes copied at a time
COPY_CHUNK = 1 << 20
#: the actor that imports a submitted file
ACTOR = "import_saft"


@dataclass(frozen=True, slots=True)
class Submission:
    """A submitted import, and whether the same content had been submitted already."""

    import_id: int
    #: nothing new was queued: this content is the organization's current import already
    already: bool


@dataclass(frozen=True, slots=True)
class Upload:
    """A SAF-T file (or the parts of a split one, in any order) submitted for an organization,
    and who submits it (None: the user running the process)."""

    org_id: int
    paths: Sequence[Path]
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    """The copies of a submitted file: its first part's name, each copy ({name, path, bytes})
    and the content's sha256."""

    name: str
    files: list[dict[str, Any]]
    sha256: str


def check_files(paths: Sequence[Path]) -> list[tuple[Path, Header]]:
    """The parts in order with their headers; BadInput (or InvalidSaftFile) when refused."""
    checked = []
    for path in resolve_parts(paths):
        try:
            with path.open("rb") as stream:
                checked.append((path, sniff(stream, path.name)))
        except OSError as exc:
            raise BadInput(f"Cannot read {path} ({exc.strerror}); check its permissions.") from exc
    first = checked[0][1]
    for path, header in checked[1:]:
        if header.org_number != first.org_number:
            raise MismatchedParts(
                f"{path.name} is for company {header.org_number}, but {checked[0][0].name} is "
                f"for {first.org_number}; import the parts of one export together.",
                element="RegistrationNumber",
                line=header.line,
                file=path.name,
            )
    return checked


def store_copies(paths: Sequence[Path], home: Path) -> tuple[list[dict[str, Any]], str]:
    """Copy the parts into a new folder under home/saft; ([{name, path, bytes}], sha256)."""
    folder = home / "saft" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    files, digests = [], []
    try:
        for n, source in enumerate(paths, 1):
            target = folder / f"{n:04d}.xml"
            digest = hashlib.sha256()
            with source.open("rb") as src, target.open("wb") as out:
                while chunk := src.read(COPY_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            files.append({"name": source.name, "path": str(target), "bytes": target.stat().st_size})
            digests.append(digest.hexdigest())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if len(digests) == 1:
        return files, digests[0]
    return files, hashlib.sha256("\n".join(digests).encode()).hexdigest()


async def submit(
    conn: asyncpg.Connection, broker: RedisBroker, settings: Settings, upload: Upload
) -> Submission:
    """Check, copy and queue a file (or the parts of a split one) for an organization."""
    org_id = upload.org_id
    checked = await asyncio.to_thread(check_files, upload.paths)
    org = await conn.fetchrow(Q["org_by_id"], org_id)
    if org is None:
        raise BadInput(f"No organization {org_id}; `ledgersync org list` shows them.")
    if org["method"] != Method.SAFT:
        raise BadInput(
            f"{org['name']} imports its ledger through the API; SAF-T files are for organizations "
            "registered with `ledgersync org add NAME --method saft`."
        )
    first_path, first = checked[0]
    check_company(first, org["name"], org["company_org_number"], first_path.name)
    parts = [path for path, _ in checked]
    files, sha256 = await asyncio.to_thread(store_copies, parts, settings.home)
    stored = Stored(first_path.name, files, sha256)
    created = False
    try:
        submission, created = await _record(conn, org_id, stored, actor=upload.actor)
    finally:
        if not created:  # nothing refers to the copies
            shutil.rmtree(Path(files[0]["path"]).parent, ignore_errors=True)
    if created:
        send(broker, ACTOR, submission.import_id)
    return submission


async def _same(conn: asyncpg.Connection, org_id: int, sha256: str) -> Submission | None:
    """The import of this content that is running or still current, if there is one."""
    same = await conn.fetchrow(Q["saft_import_same"], org_id, sha256)
    if same is None:
        return None
    done = same["state"] == "done"
    if done:  # the organization holds this file: a refusal since then is moot
        await settle_current_file(conn, org_id)
    return Submission(int(same["id"]), already=done)


async def _record(
    conn: asyncpg.Connection, org_id: int, stored: Stored, *, actor: str | None
) -> tuple[Submission, bool]:
    """The import recorded, and True; or the one of the same content already there, and False."""
    name, files, sha256 = stored.name, stored.files, stored.sha256
    who = actor or getpass.getuser()
    async with conn.transaction():
        await conn.fetchrow(Q["org_lock"], org_id)  # one submission per organization at a time
        same = await _same(conn, org_id, sha256)
        if same is not None:
            return same, False
        size = sum(f["bytes"] for f in files)
        import_id = int(
            await conn.fetchval(Q["saft_import_insert"], org_id, name, files, sha256, size, who)
        )
        await set_state(conn, org_id, OrgState.SYNCING)
        await audit.record(
            conn,
            "saft.submit",
            org_id,
            {"import_id": import_id, "file": name, "sha256": sha256, "bytes": size},
            actor=who,
        )
    return Submission(import_id, already=False), True


async def submit_file(
    conn: asyncpg.Connection, broker: RedisBroker, settings: Settings, upload: Upload
) -> int:
    """`submit` for callers that need only the import id (the TUI's register wizard)."""
    return (await submit(conn, broker, settings, upload)).import_id


async def import_status(conn: asyncpg.Connection, import_id: int) -> dict[str, Any]:
    """One import as JSON-ready fields (state, progress per year, warnings, error)."""
    row = await conn.fetchrow(Q["saft_import_get"], import_id)
    if row is None:
        raise BadInput(f"No SAF-T import {import_id}.")
    shown = dict(row)
    shown.pop("files")
    shown["refused"] = row["state"] == "invalid"
    return shown


async def reopen_import(conn: asyncpg.Connection, import_id: int) -> int | None:
    """Make a failed import wait again (`jobs retry`); its organization, None when not failed.

    BadInput when its stored copy is gone: only submitting the file again can import it then.
    """
    row = await conn.fetchrow(Q["saft_import_reopen"], import_id)
    if row is None:
        return None
    missing = _missing(row["files"])
    if missing:
        raise BadInput(
            f"The stored copy of SAF-T import {import_id} is gone ({missing[0]}); submit the "
            "file again with `ledgersync saft import`."
        )
    return int(row["org_id"])


def _missing(files: list[dict[str, Any]]) -> list[str]:
    return [f["path"] for f in files if not Path(f["path"]).is_file()]


async def stored_folders(conn: asyncpg.Connection, org_id: int) -> set[Path]:
    """The folders (under LEDGERSYNC_HOME/saft) holding an organization's stored copies."""
    rows = await conn.fetch(Q["saft_import_folders"], org_id)
    return {
        Path(row["path"]).parent for row in rows if Path(row["path"]).parent.parent.name == "saft"
    }


def remove_folders(folders: set[Path]) -> None:
    """Delete stored copies' folders (after the rows naming them are gone)."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
