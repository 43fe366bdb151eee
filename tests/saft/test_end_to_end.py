"""End to end: `ledgersync saft import --wait` against a real `ledgersync worker` process."""

from __future__ import annotations

import json
from pathlib import Path

from saft_support import FIXTURES, VALID, World, fetch_count, generate, read_truth

from shared.saft.generate import Fault, Spec


async def test_an_operator_onboards_an_organization_from_its_saft_file_alone(
    world: World, database_url: str, tmp_path: Path
) -> None:
    example = FIXTURES / VALID[0]
    truth = read_truth(example)
    code, out, err = await world.ledgersync("org", "add", "Tøyen Lekefabrikk", "--method", "saft")
    assert code == 0, err
    await world.start_worker()

    code, out, err = await world.ledgersync(
        "saft", "import", "Tøyen Lekefabrikk", str(example), "--wait", "--timeout", "120"
    )
    assert code == 0, f"{err}\n(see {tmp_path / 'worker.log'})"
    assert f"{truth.lines} postings of {truth.entries} transactions added" in out
    assert "Warning: 3 account(s) do not roll forward" in out
    code, out, _ = await world.ledgersync("org", "show", "Tøyen Lekefabrikk", "--json")
    shown = json.loads(out)
    assert (shown["method"], shown["state"]) == ("saft", "synced")
    assert shown["company"]["organizationNumber"] == "888888888"
    assert [(y["year"], y["expected"], y["imported"]) for y in shown["years"]] == [
        (2017, truth.lines, truth.lines)
    ]
    code, out, _ = await world.ledgersync("org", "list", "--json")
    assert json.loads(out)[0]["state"] == "synced"

    bad, _ = generate(tmp_path, Spec(org_number="888888888", year=2017, fault=Fault.UNBALANCED))
    code, out, err = await world.ledgersync(
        "saft", "import", "Tøyen Lekefabrikk", str(bad), "--wait", "--timeout", "120"
    )
    assert code == 2, err
    sentence = err.strip().splitlines()[-1]  # after any progress lines
    assert "does not balance" in sentence
    assert f"of {bad.name}" in sentence
    code, _, err = await world.ledgersync("org", "wait", "Tøyen Lekefabrikk", "--timeout", "5")
    assert code == 1
    assert "does not balance" in err
    assert await fetch_count(database_url) == truth.lines, "the refused file changed nothing"

    code, out, err = await world.ledgersync(
        "saft", "import", "Tøyen Lekefabrikk", str(example), "--wait", "--timeout", "120"
    )
    assert code == 0, err
    assert "is already imported" in out
    assert await fetch_count(database_url) == truth.lines
    code, _, err = await world.ledgersync("org", "wait", "Tøyen Lekefabrikk", "--timeout", "5")
    assert code == 0, "its current file submitted again: the refusal since no longer matters"
