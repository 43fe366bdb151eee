"""The Procfile is read the way honcho reads it, and says what the demo runs."""

from __future__ import annotations

import pytest

from cli.procfile import FALLBACK, PROCFILE, parse_procfile, process_types


def test_the_repository_procfile_runs_workers_and_the_scheduler() -> None:
    types = process_types()
    assert types["worker"][:2] == ["ledgersync", "worker"]
    assert types["scheduler"] == ["ledgersync", "scheduler"]
    assert types == FALLBACK, "keep FALLBACK in step with the Procfile"
    assert PROCFILE.is_file()


def test_lines_comments_and_quoting() -> None:
    text = "# processes\nweb: run 'a b' --x\n\nworker:ledgersync worker\n"
    assert parse_procfile(text) == {
        "web": ["run", "a b", "--x"],
        "worker": ["ledgersync", "worker"],
    }


@pytest.mark.parametrize("text", ["worker ledgersync", ": ledgersync", "worker:   "])
def test_a_line_that_is_not_name_colon_command_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_procfile(text)
