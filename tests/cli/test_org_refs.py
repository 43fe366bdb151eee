"""Naming an organization on the command line: collisions refused, `#N` the id, odd ids."""

from __future__ import annotations

import pytest
from cli_inproc import Invoke


def _add(cli: Invoke, name: str) -> int:
    done = cli("org", "add", name, "--method", "saft")
    assert done.code == 0, done.stderr
    return int(done.stdout.strip())


def _names(cli: Invoke) -> list[str]:
    import json

    done = cli("org", "list", "--json")
    assert done.code == 0, done.stderr
    return [o["name"] for o in json.loads(done.stdout)]


def test_org_remove_by_a_name_that_is_another_id_refuses(cli: Invoke) -> None:
    first = _add(cli, "Bakeri AS")
    _add(cli, str(first))
    done = cli("org", "remove", str(first), "--yes")
    assert done.code == 2
    assert "ambiguous" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert _names(cli) == ["Bakeri AS", str(first)], "nothing removed"


def test_org_remove_by_hash_id_echoes_name_and_id_first(cli: Invoke) -> None:
    first = _add(cli, "Bakeri AS")
    digits = _add(cli, str(first))
    done = cli("org", "remove", f"#{digits}", "--yes")
    assert done.code == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"Removing {first} (#{digits}) and all its data."
    assert _names(cli) == ["Bakeri AS"]


@pytest.mark.parametrize(
    "args",
    [
        ("org", "show", "²"),
        ("org", "show", "#²"),
        ("org", "show", "#99999999999999999999999"),
        ("org", "select", "Bakeri AS", "99999999999999999999999"),
        ("org", "select", "Bakeri AS", "²"),
        ("jobs", "show", "18446744073709551616"),
        ("jobs", "retry", "-5"),
    ],
)
def test_odd_ids_are_one_sentence_and_exit_2(cli: Invoke, args: tuple[str, ...]) -> None:
    _add(cli, "Bakeri AS")
    done = cli(*args)
    assert done.code == 2, done
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
