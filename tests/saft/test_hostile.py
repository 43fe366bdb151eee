"""Hostile files (issue 17): whatever a file holds, reading it keeps memory flat.

Each file is built on the fly with tens of MB of something the reader never keeps, and read in
a child process (the worker's `read` and the CLI's header check `sniff`) whose peak RSS is
compared with its RSS before reading. Before the fix, unknown elements grew memory with the
file (several GB on a few hundred MB of them). The 1 GB variants are `python -m bench.saft_hostile`.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.saft import names
from shared.saft.errors import InvalidValue
from shared.saft.generate import Spec, write
from shared.saft.hostile import Hostile, write_hostile
from shared.saft.names import MAX_NAMESPACES
from shared.saft.reader import read

MB = 2**20
#: bytes of hostile content planted per file
PLANTED = 40 * MB
#: the most a child's peak RSS may grow while reading one file (the planted part is 40 MB)
MAX_GROWTH_MB = 25

PROBE = """
import json, resource, sys
from shared.saft.reader import read, sniff
from shared.saft.errors import InvalidSaftFile

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

path, what = sys.argv[1], sys.argv[2]
before = peak_mb()
outcome = {"events": 0, "refused": None}
try:
    with open(path, "rb") as stream:
        if what == "sniff":
            sniff(stream, "hostile.xml")
            outcome["events"] = 1
        else:
            for _ in read(stream, "hostile.xml", {}):
                outcome["events"] += 1
except InvalidSaftFile as exc:
    outcome["refused"] = str(exc)
outcome["growth_mb"] = peak_mb() - before
print(json.dumps(outcome))
"""


def probe(path: Path, what: str) -> dict[str, object]:
    """What reading `path` in a fresh process did: events, refusal, peak RSS growth."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), what],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[Hostile, Path]:
    """One hostile file of each kind (built once for the module)."""
    folder = tmp_path_factory.mktemp("hostile")
    built = {}
    for kind in Hostile:
        path = folder / f"{kind}.xml"
        write_hostile(path, kind, PLANTED)
        built[kind] = path
    return built


@pytest.mark.parametrize(
    "kind",
    [Hostile.UNKNOWN_UNDER_ROOT, Hostile.UNKNOWN_IN_HEADER],
)
def test_unknown_elements_anywhere_are_read_past_in_flat_memory(
    files: dict[Hostile, Path], kind: Hostile
) -> None:
    outcome = probe(files[kind], "read")
    assert outcome["refused"] is None
    # Header, 9 accounts, 20 transactions, the totals, the file's end
    assert outcome["events"] == 1 + 9 + 20 + 1 + 1
    assert outcome["growth_mb"] < MAX_GROWTH_MB, outcome


def test_many_customers_are_each_read_and_freed_in_flat_memory(
    files: dict[Hostile, Path],
) -> None:
    path = files[Hostile.MANY_CUSTOMERS]
    customers = path.read_text(encoding="utf-8").count("<Customer>")
    assert customers > 50_000
    outcome = probe(path, "read")
    assert outcome["refused"] is None
    assert outcome["events"] == 1 + customers + 9 + 20 + 1 + 1
    assert outcome["growth_mb"] < MAX_GROWTH_MB, outcome


@pytest.mark.parametrize("kind", list(Hostile))
def test_the_cli_header_check_stays_flat_on_any_file(
    files: dict[Hostile, Path], kind: Hostile
) -> None:
    outcome = probe(files[kind], "sniff")
    assert outcome["growth_mb"] < MAX_GROWTH_MB, outcome


def test_a_transaction_beyond_the_cap_is_refused_in_flat_memory(
    files: dict[Hostile, Path],
) -> None:
    outcome = probe(files[Hostile.UNKNOWN_IN_TRANSACTION], "read")
    assert outcome["refused"] == (
        "<Transaction> at line 105 of hostile.xml is larger than 16 MB; a voucher is far "
        "smaller: export the file again, or split the voucher."
    )
    assert outcome["growth_mb"] < MAX_GROWTH_MB, outcome


@pytest.mark.parametrize("kind", [Hostile.DEEP, Hostile.HUGE_TEXT])
def test_deep_nesting_and_a_huge_text_node_are_refused_in_flat_memory(
    files: dict[Hostile, Path], kind: Hostile
) -> None:
    outcome = probe(files[kind], "read")
    assert isinstance(outcome["refused"], str)
    assert "hostile.xml" in outcome["refused"]
    assert outcome["growth_mb"] < MAX_GROWTH_MB, outcome


#: the refusal of a file that uses too many names, and of one that declares too many namespaces
NAMES = (
    r"hostile\.xml uses more than 2,000 different element and attribute names \(or 256 KB of "
    r"them\); '[\w:]+' at line \d+, column \d+ is one too many\. A SAF-T Financial file uses a "
    r"few hundred: export the file again as the accounting system writes it\."
)
NAMESPACES = (
    r"hostile\.xml declares more than 100 different namespaces \(at line \d+, column \d+\); a "
    r"SAF-T Financial file declares a handful: export the file again as the accounting system "
    r"writes it\."
)


@pytest.mark.parametrize(
    ("kind", "what", "sentence"),
    [
        (Hostile.NAMESPACE_DECLARATIONS, "read", NAMESPACES),
        (Hostile.DISTINCT_NAMES, "read", NAMES),
        (Hostile.DISTINCT_NAMES_IN_HEADER, "read", NAMES),
        (Hostile.DISTINCT_NAMES_IN_HEADER, "sniff", NAMES),
    ],
)
def test_names_used_once_each_are_refused_at_their_place_in_flat_memory(
    files: dict[Hostile, Path], kind: Hostile, what: str, sentence: str
) -> None:
    # Given a file that brings millions of names into libxml2's dictionary (before the bound,
    # 40 MB of them took a reader to 200-250 MB, and the thread kept them)
    outcome = probe(files[kind], what)
    # Then it is refused at the first name over the bound, with its line and column
    refused = outcome["refused"]
    assert isinstance(refused, str), outcome
    assert re.fullmatch(sentence, refused), refused
    assert outcome["growth_mb"] < MAX_GROWTH_MB, outcome


def test_namespaces_declared_once_each_are_refused_by_their_own_bound(tmp_path: Path) -> None:
    # Given 101 namespaces under one prefix: few names, but each URI is kept by libxml2
    planted = "".join(f'<p:a xmlns:p="urn:x:{n}"/>' for n in range(MAX_NAMESPACES + 1))
    path = tmp_path / "namespaces.xml"
    path.write_text(valid_with(planted))
    outcome = probe(path, "read")
    assert outcome["refused"] == (
        "hostile.xml declares more than 100 different namespaces (at line 21, column 2482); a "
        "SAF-T Financial file declares a handful: export the file again as the accounting "
        "system writes it."
    )


def test_many_repeats_of_a_few_names_and_namespaces_are_read(tmp_path: Path) -> None:
    # Given what an export with vendor extensions may hold: 500 names of its own, and one
    # namespace declared again on each of 200,000 elements
    names = "".join(f"<Extension{n}>x</Extension{n}>" for n in range(500))
    declared = '<v:Note xmlns:v="urn:vendor">x</v:Note>' * 200_000
    path = tmp_path / "extended.xml"
    path.write_text(valid_with(names + declared))
    outcome = probe(path, "read")
    assert outcome["refused"] is None
    assert outcome["events"] == 1 + 9 + 20 + 1 + 1


def valid_with(planted: str) -> str:
    """A generated file of 20 vouchers with `planted` between the Header and the MasterFiles."""
    buffer = io.StringIO()
    write(buffer, Spec(transactions=20))
    valid = buffer.getvalue()
    at = valid.index("<MasterFiles>")
    return valid[:at] + planted + valid[at:]


def test_prefixed_declarations_are_bounded_in_number_repeats_included(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the same prefixed namespace declared again on each element: libxml2 keeps some
    # 32 bytes for each declaration until the parse ends (a bound of 1,000 here, not 10^6)
    monkeypatch.setattr(names, "MAX_DECLARATIONS", 1000)
    one = '<v:Note xmlns:v="urn:vendor">x</v:Note>'
    for count, refused in ((1000, False), (1001, True)):
        stream = io.BytesIO(valid_with(one * count).encode())
        if not refused:
            assert sum(1 for _ in read(stream, "repeat.xml", {})) == 1 + 9 + 20 + 1 + 1
            continue
        with pytest.raises(
            InvalidValue,
            match=r"^repeat\.xml declares namespace prefixes "
            r"more than 1,000 times in all \(at line 21, column \d+\)",
        ):
            list(read(stream, "repeat.xml", {}))
