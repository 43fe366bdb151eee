"""Retry and removal (issue 17): `jobs retry` on a failed SAF-T import imports its stored file
again under its organization; removing an organization removes its stored files."""

from __future__ import annotations

from pathlib import Path

import pytest
from saft_support import SaftWorld

from shared import jobs, orgs
from shared.db.queries import Q
from shared.jobs import StopReason
from shared.saft.generate import Spec
from worker import failures
from worker.saft import importer as saft_import

pytestmark = pytest.mark.integration


async def failed_import(saft: SaftWorld, monkeypatch: pytest.MonkeyPatch, path: Path) -> int:
    """Submit `path` and let every delivery fail unexpectedly until the import is failed."""
    # import ids apart from organization ids, so a job recorded under the wrong one shows
    await saft.pg.execute("SELECT setval(pg_get_serial_sequence('saft_imports', 'id'), 41)")
    submission = await saft.submit(path)

    async def broken(job: saft_import.Job) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(saft_import, "run", broken)
    for attempt in range(saft_import.MAX_ATTEMPTS):
        with pytest.raises(RuntimeError):
            await saft_import.import_saft(saft.pool, saft.settings.home, submission.import_id)
        last = attempt == saft_import.MAX_ATTEMPTS - 1
        failure = failures.Failure(
            "import_saft",
            [submission.import_id],
            f"m{attempt}",
            "RuntimeError",
            "the disk went away",
            "",
            StopReason.RETRIES_EXHAUSTED if last else None,
        )
        await failures.record(saft.pg, failure)
    monkeypatch.undo()
    state = await saft.pg.fetchval(
        "SELECT state FROM saft_imports WHERE id = $1", submission.import_id
    )
    assert state == "failed"
    return int(submission.import_id)


async def test_retrying_a_failed_import_imports_the_stored_file_under_its_organization(
    saft: SaftWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, written = saft.generate(Spec(transactions=15))
    import_id = await failed_import(saft, monkeypatch, path)
    (job,) = await jobs.list_jobs(saft.pg, state="failed")
    assert job.org_id == saft.org_id, "the job belongs to the import's organization"
    scope = jobs.RetryScope((job.id,))
    assert await jobs.retry_jobs(saft.pg, saft.broker, scope, actor="test") == [job.id]
    assert await saft.pg.fetchval(Q["saft_import_org"], import_id) == saft.org_id
    await saft_import.import_saft(saft.pool, saft.settings.home, import_id)
    row = await saft.pg.fetchrow("SELECT state, attempts FROM saft_imports WHERE id=$1", import_id)
    assert (row["state"], row["attempts"]) == ("done", 1)
    stored = await saft.stored()
    assert stored["count"] == written.postings
    assert stored["debit"] * 100 == written.debit
    assert stored["credit"] * 100 == written.credit


async def test_removing_an_organization_removes_its_stored_files(
    saft: SaftWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = saft.generate(Spec(transactions=5))
    await failed_import(saft, monkeypatch, path)  # a failed import keeps its copy for a retry
    copies = list((saft.settings.home / "saft").iterdir())
    assert copies
    await orgs.remove(saft.pg, saft.org_id)
    assert not [c for c in copies if c.exists()]
    assert await saft.pg.fetchval("SELECT count(*) FROM saft_imports") == 0
    assert await saft.pg.fetchval("SELECT count(*) FROM jobs") == 0
