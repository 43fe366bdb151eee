"""Importing into real Postgres: submit, then the worker's import run in-process by id."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from decimal import Decimal

import pytest
from saft_support import FIXTURES, VALID, SaftWorld, read_truth

from shared import orgs
from shared.crypto import TokenCipher
from shared.db import connect
from shared.db.queries import Q
from shared.errors import BadInput, PermanentJobError
from shared.models import Method, Provider
from shared.saft import submit as saft_submit
from shared.saft.errors import InvalidSaftFile, UnknownVersion, WrongCompany, WrongNamespace
from shared.saft.generate import Fault, Spec, tally
from shared.saft.submit import Upload, import_status, submit_file
from worker.saft import importer as saft_import
from worker.saft.importer import import_saft
from worker.saft.store import POSITION_BITS


def cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


@pytest.mark.parametrize("name", VALID)
async def test_each_valid_example_imports_with_postings_equal_to_its_control_totals(
    name: str, saft: SaftWorld
) -> None:
    truth = read_truth(FIXTURES / name)
    status = await saft.run(FIXTURES / name)
    assert status["state"] == "done", status["error"]
    assert await saft.stored() == {
        "count": truth.lines,
        "debit": truth.total_debit,
        "credit": truth.total_credit,
    }
    assert (status["transactions_read"], status["postings_read"]) == (truth.entries, truth.lines)
    assert (status["total_debit"], status["total_credit"]) == (
        truth.total_debit,
        truth.total_credit,
    )
    shown = await orgs.details(saft.pg, await saft.org())
    assert shown["state"] == "synced"
    assert shown["company"]["organizationNumber"] == truth.org_number
    years = {y["year"]: (y["state"], y["expected"], y["imported"]) for y in shown["years"]}
    assert years == {y: ("synced", n, n) for y, n in truth.years.items()}
    assert not list((saft.settings.home / "saft").iterdir()), "the copy is removed when done"


async def test_the_refused_examples_leave_nothing_behind(saft: SaftWorld) -> None:
    for name, error in (
        ("Eksempelfil fra xmlSpy.xml", WrongNamespace),
        ("generated_auditfile_formatted.xml", UnknownVersion),
    ):
        with pytest.raises(error):  # refused up front, before anything is copied or recorded
            await saft.submit(FIXTURES / name)
    assert await saft.pg.fetchval("SELECT count(*) FROM saft_imports") == 0
    status = await saft.run(FIXTURES / "ruby-saft-biggest.xml")
    assert (status["state"], status["error_kind"]) == ("invalid", "UnknownAccount")
    assert "line 403 of ruby-saft-biggest.xml" in status["error"]
    assert (await saft.stored())["count"] == 0
    org = await saft.org()
    assert (org["state"], org["state_reason"]) == ("needs_attention", status["error"])


#: faults the cheap checks at submit cannot see: refused by the import, with this kind
LATE_FAULTS = {
    Fault.TRUNCATED: "NotXml",
    Fault.WRONG_ENTRIES: "ControlTotalMismatch",
    Fault.WRONG_DEBIT: "ControlTotalMismatch",
    Fault.WRONG_CREDIT: "ControlTotalMismatch",
    Fault.UNBALANCED: "UnbalancedTransaction",
    Fault.BOTH_SIDES: "LineSideError",
    Fault.NO_SIDE: "LineSideError",
    Fault.UNKNOWN_ACCOUNT: "UnknownAccount",
    Fault.DUPLICATE_ID: "DuplicateTransaction",
    Fault.BAD_AMOUNT: "InvalidValue",
}


@pytest.mark.parametrize("fault", list(LATE_FAULTS))
async def test_a_bad_file_is_refused_and_the_database_is_left_as_it_was(
    fault: Fault, saft: SaftWorld
) -> None:
    good, _ = saft.generate(Spec(transactions=30, year=2025))
    assert (await saft.run(good))["state"] == "done"
    before = await saft.rows(), await saft.pg.fetch("SELECT * FROM sync_years")
    bad, _ = saft.generate(Spec(transactions=30, year=2025, seed=2, fault=fault), "bad.xml")
    status = await saft.run(bad)
    assert (status["state"], status["error_kind"]) == ("invalid", LATE_FAULTS[fault])
    assert "bad.xml" in status["error"]
    assert (await saft.rows(), await saft.pg.fetch("SELECT * FROM sync_years")) == before
    assert (await saft.org())["state_reason"] == status["error"]


@pytest.mark.parametrize(
    "fault", [Fault.NOT_XML, Fault.NO_NAMESPACE, Fault.WRONG_NAMESPACE, Fault.UNKNOWN_VERSION]
)
async def test_a_file_that_is_no_saft_file_is_refused_at_submit(
    fault: Fault, saft: SaftWorld
) -> None:
    bad, _ = saft.generate(Spec(fault=fault))
    with pytest.raises(InvalidSaftFile) as refused:
        await saft.submit(bad)
    assert refused.value.exit_code == 2
    assert await saft.pg.fetchval("SELECT count(*) FROM saft_imports") == 0
    assert (await saft.org())["state"] == "awaiting_file"
    assert not (saft.settings.home / "saft").exists()


async def test_a_duplicate_transaction_id_names_both_transactions(saft: SaftWorld) -> None:
    bad, _ = saft.generate(Spec(transactions=10, fault=Fault.DUPLICATE_ID, fault_at=4))
    status = await saft.run(bad)
    starts = [
        n for n, line in enumerate(bad.read_text().splitlines(), 1) if "<Transaction>" in line
    ]
    assert f"<Transaction> at line {starts[4]} of {bad.name}" in status["error"]
    assert f"at line {starts[3]};" in status["error"]
    assert "TransactionID '4'" in status["error"]


async def test_importing_the_same_file_again_changes_nothing(saft: SaftWorld) -> None:
    path, _ = saft.generate(Spec(transactions=40))
    first = await saft.run(path)

    async def snapshot() -> tuple[object, ...]:
        return (
            await saft.rows(),
            await saft.pg.fetch("SELECT * FROM sync_years"),
            await saft.org(),
            await saft.pg.fetch("SELECT * FROM saft_imports"),
        )

    before = await snapshot()
    again = await saft.run(path)
    assert (again["id"], again["already"]) == (first["id"], True)
    await import_saft(saft.pool, saft.settings.home, first["id"])  # the actor delivered twice
    assert await snapshot() == before
    assert not list((saft.settings.home / "saft").iterdir()), "the second copy was not kept"


async def test_a_corrected_file_replaces_the_period_and_keeps_other_years(
    saft: SaftWorld,
) -> None:
    older, _ = saft.generate(Spec(transactions=20, year=2024))
    original, _ = saft.generate(Spec(transactions=30, year=2025), "original.xml")
    corrected, fixed = saft.generate(Spec(transactions=25, year=2025, seed=7), "fixed.xml")
    for path in (older, original):
        assert (await saft.run(path))["state"] == "done"
    kept = [r for r in await saft.rows() if r[2].year == 2024]
    status = await saft.run(corrected)
    assert (status["state"], status["postings_replaced"]) == ("done", 30 * 3)
    rows = await saft.rows()
    assert [r for r in rows if r[2].year == 2024] == kept
    new = [r for r in rows if r[2].year == 2025]
    assert len(new) == fixed.postings
    assert sum(r[3] for r in new if r[3] > 0) == cents(fixed.debit)
    years = {y["year"]: y for y in (await orgs.details(saft.pg, await saft.org()))["years"]}
    assert (years[2025]["expected"], years[2025]["imported"]) == (fixed.postings,) * 2
    assert years[2024]["imported"] == 20 * 3
    again = await saft.run(original)
    assert not again["already"], "the original is no longer current: importing it is a change"
    assert len([r for r in await saft.rows() if r[2].year == 2025]) == 30 * 3


async def test_posting_ids_are_stable_across_imports_and_form_a_block_per_period(
    saft: SaftWorld,
) -> None:
    path, _ = saft.generate(Spec(transactions=5, lines=2))
    await saft.run(path)
    first = [r[1] for r in await saft.rows()]
    await saft.pg.execute("DELETE FROM postings; DELETE FROM saft_imports")
    await saft.run(path)
    assert [r[1] for r in await saft.rows()] == first
    assert first == [first[0] + n for n in range(10)]
    assert 0 < first[0] < 2**63
    assert first[0] % (1 << POSITION_BITS) == 1


async def test_split_files_import_as_one(saft: SaftWorld) -> None:
    whole = Spec(transactions=30)
    parts = [
        saft.generate(
            replace(whole, part=(n, 3), vouchers=(10 * n - 10, 10 * n), master_files=n == 1)
        )[0]
        for n in (1, 2, 3)
    ]
    status = await saft.run(parts[1])  # one part names all three
    assert status["state"] == "done", status["error"]
    assert status["file_name"] == parts[0].name
    written = tally(whole)
    assert status["postings_read"] == written.postings
    assert await saft.stored() == {
        "count": written.postings,
        "debit": cents(written.debit),
        "credit": cents(written.credit),
    }
    assert (status["total_debit"], status["total_credit"]) == (
        cents(written.debit),
        cents(written.credit),
    ), "a split set's control totals are its parts' summed"
    assert status["warnings"] == [], "the closing balances roll forward over the whole set"


async def test_a_split_set_with_a_bad_part_is_refused_whole(saft: SaftWorld) -> None:
    whole = Spec(transactions=20)
    first, _ = saft.generate(replace(whole, part=(1, 2), vouchers=(0, 10)))
    second, _ = saft.generate(
        replace(whole, part=(2, 2), vouchers=(10, 20), master_files=False, fault=Fault.WRONG_DEBIT)
    )
    status = await saft.run(first, second)
    assert (status["state"], status["error_kind"]) == ("invalid", "ControlTotalMismatch")
    assert second.name in status["error"]
    assert (await saft.stored())["count"] == 0


async def test_roll_forward_differences_are_warnings_and_the_file_imports(
    saft: SaftWorld,
) -> None:
    path, written = saft.generate(Spec(transactions=12, fault=Fault.ROLL_FORWARD))
    status = await saft.run(path)
    assert status["state"] == "done"
    assert (await saft.stored())["count"] == written.postings
    assert status["warnings"] == [
        "1 account(s) do not roll forward (closing minus opening and movements): 1500 (+1.00)."
    ]


async def test_another_company_s_file_and_an_api_organization_are_refused_at_submit(
    saft: SaftWorld,
) -> None:
    mine, _ = saft.generate(Spec(transactions=3))
    theirs, _ = saft.generate(Spec(transactions=3, org_number="888888888"))
    await saft.run(mine)
    with pytest.raises(WrongCompany, match="888888888"):
        await saft.submit(theirs)
    new = orgs.NewOrg("Via API", Method.API, Provider.TRIPLETEX, token="t" * 40)
    api = await orgs.register(saft.pg, new, cipher=TokenCipher("a-test-secret-key-of-some-length"))
    with pytest.raises(BadInput, match="through the API"):
        await submit_file(saft.pg, saft.broker, saft.settings, Upload(api, [mine]))


async def test_two_deliveries_at_once_import_once(saft: SaftWorld) -> None:
    path, written = saft.generate(Spec(transactions=300))
    import_id = await submit_file(saft.pg, saft.broker, saft.settings, Upload(saft.org_id, [path]))
    await asyncio.gather(*(import_saft(saft.pool, saft.settings.home, import_id) for _ in "ab"))
    status = await import_status(saft.pg, import_id)
    assert (status["state"], status["attempts"]) == ("done", 1)
    assert (await saft.stored())["count"] == written.postings


async def test_an_import_whose_worker_died_is_taken_over(saft: SaftWorld) -> None:
    path, written = saft.generate(Spec(transactions=20))
    import_id = await submit_file(saft.pg, saft.broker, saft.settings, Upload(saft.org_id, [path]))
    dead = await saft.pg.fetchrow(Q["saft_import_claim"], import_id, uuid.uuid4(), 0.0, None, None)
    assert dead is not None, "claimed by a worker whose lease runs out at once"
    await import_saft(saft.pool, saft.settings.home, import_id)
    status = await import_status(saft.pg, import_id)
    assert (status["state"], status["attempts"]) == ("done", 2)
    assert (await saft.stored())["count"] == written.postings


async def test_an_import_whose_worker_is_dead_is_taken_over_before_its_lease_ends(
    saft: SaftWorld,
) -> None:
    path, written = saft.generate(Spec(transactions=20))
    import_id = await submit_file(saft.pg, saft.broker, saft.settings, Upload(saft.org_id, [path]))
    held = await saft.pg.fetchrow(
        Q["saft_import_claim"], import_id, uuid.uuid4(), 3600.0, "worker-gone", None
    )
    assert held is not None
    await import_saft(saft.pool, saft.settings.home, import_id, alive=["worker-gone"])
    assert (await import_status(saft.pg, import_id))["state"] == "running", "its worker lives"

    await import_saft(saft.pool, saft.settings.home, import_id, worker_id="w2", alive=["w2"])

    status = await import_status(saft.pg, import_id)
    assert (status["state"], status["attempts"]) == ("done", 2)
    assert await saft.pg.fetchval("SELECT deaths FROM saft_imports WHERE id = $1", import_id) == 1
    assert (await saft.stored())["count"] == written.postings


async def test_an_import_whose_worker_keeps_dying_fails_at_the_cap_and_retry_imports_it(
    saft: SaftWorld,
) -> None:
    path, written = saft.generate(Spec(transactions=20))
    import_id = await submit_file(saft.pg, saft.broker, saft.settings, Upload(saft.org_id, [path]))
    for death in range(saft_import.MAX_DEATHS):  # each delivery's worker dies holding it
        claimed = await saft.pg.fetchrow(
            Q["saft_import_claim"], import_id, uuid.uuid4(), 3600.0, f"w{death}", []
        )
        assert claimed is not None
        assert claimed["deaths"] == death

    with pytest.raises(PermanentJobError) as failed:
        await import_saft(saft.pool, saft.settings.home, import_id, worker_id="w9", alive=["w9"])

    assert f"died {saft_import.MAX_DEATHS} times" in str(failed.value)
    status = await import_status(saft.pg, import_id)
    assert (status["state"], status["error_kind"]) == ("failed", "crashed")
    assert (await saft.stored())["count"] == 0, "nothing of the file"
    org = await saft.pg.fetchrow(
        "SELECT state, state_reason FROM organizations WHERE id = $1", saft.org_id
    )
    assert (org["state"], org["state_reason"]) == ("needs_attention", str(failed.value))

    assert await saft_submit.reopen_import(saft.pg, import_id) == saft.org_id  # `jobs retry`
    await import_saft(saft.pool, saft.settings.home, import_id, worker_id="w9", alive=["w9"])
    assert (await import_status(saft.pg, import_id))["state"] == "done"
    assert (await saft.stored())["count"] == written.postings


async def test_progress_is_written_while_the_file_is_read(
    saft: SaftWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saft_import, "PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr(saft_import, "BATCH_ROWS", 500)
    path, written = saft.generate(Spec(transactions=6_000))
    import_id = await submit_file(saft.pg, saft.broker, saft.settings, Upload(saft.org_id, [path]))
    running = asyncio.create_task(import_saft(saft.pool, saft.settings.home, import_id))
    seen = []
    while not running.done():
        status = await import_status(saft.pg, import_id)
        if status["state"] == "running" and 0 < status["bytes_read"] < status["bytes_total"]:
            seen.append(status)
        await asyncio.sleep(0.01)
    await running
    assert seen, "no progress was seen while reading"
    middle = seen[len(seen) // 2]
    assert 0 < middle["transactions_read"] < written.transactions
    assert middle["years"]["2025"]["postings"] == middle["postings_read"]


async def test_a_second_import_of_the_organization_waits_untried_while_one_runs(
    saft: SaftWorld, database_url: str
) -> None:
    path, written = saft.generate(Spec(transactions=20))
    import_id = await submit_file(saft.pg, saft.broker, saft.settings, Upload(saft.org_id, [path]))
    other = await connect(database_url)
    try:  # another import of the organization holds its lock
        await other.execute("SELECT pg_advisory_lock(72120446, $1::int)", saft.org_id)
        with pytest.raises(saft_import.Busy):
            await import_saft(saft.pool, saft.settings.home, import_id)
        status = await import_status(saft.pg, import_id)
        assert (status["state"], status["attempts"]) == ("queued", 0)
    finally:
        await other.close()
    await import_saft(saft.pool, saft.settings.home, import_id)
    assert (await import_status(saft.pg, import_id))["state"] == "done"
    assert (await saft.stored())["count"] == written.postings


async def test_an_import_that_cannot_succeed_fails_for_good_and_says_why(
    saft: SaftWorld,
) -> None:
    path, _ = saft.generate(Spec(transactions=5))
    import_id = await submit_file(saft.pg, saft.broker, saft.settings, Upload(saft.org_id, [path]))
    for copy in (saft.settings.home / "saft").rglob("*.xml"):
        copy.unlink()  # someone cleaned LEDGERSYNC_HOME behind the worker's back
    with pytest.raises(PermanentJobError):
        await import_saft(saft.pool, saft.settings.home, import_id)
    status = await import_status(saft.pg, import_id)
    assert (status["state"], status["error_kind"]) == ("failed", "failed")
    assert "submit the file again" in status["error"]
    assert (await saft.org())["state"] == "needs_attention"
