"""Hostile arguments to every command that takes them: never a traceback, an exit code of the
contract with one sentence on stderr, and not one row changed.

The commands run in this process (as `main()` runs them) against one prepared database; each
example is an argument the command must refuse, so the database must end exactly as it began.
Examples are derandomized and bounded, so the test is the same, and quick, in CI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cli_inproc import Done, Invoke, sql
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared import orgs
from shared.errors import BadInput
from shared.ledger import reports

TOKEN = b"eyJ0b2tlbklkIjoxLCJ0b2tlbiI6Imdvb2QifQ"

#: Hypothesis settings of every test here: fixed examples, a bounded number, no example database
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: values operators and scripts really send by mistake, and worse
SAMPLES = (
    "",
    " ",
    "0",
    "-1",
    "00",
    "²",
    "#²",
    "٣٨",
    "#٣٨",
    "1e3",
    "0x10",
    "1_000",
    "+5",
    "#",
    "##1",
    "#-1",
    "#0",
    str(2**63),
    str(2**64),
    "9" * 40,
    f"#{2**63}",
    "nan",
    "inf",
    "-inf",
    "\x00",
    "a\x00b",
    "\n",
    "two\nlines",
    "\u202eevil",
    "\u2066x\u2069",
    "zero\u200bwidth",
    "\udcff",
    "é" * 300,
    "x" * 5000,
    "'; DROP TABLE organizations; --",
    "%s%s%n",
    "{0}",
    "$1",
    "../../etc/passwd",
    "--yes",
    "-",
    "--",
    "null",
    "[]",
    "\t1\t",
    "１",
    "Ⅻ",
)

hostile = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.integers(min_value=-(2**80), max_value=2**80).map(lambda n: f"#{n}"),
    st.text(alphabet="0123456789²³¹٠١٢٣۴߀०๑１#-+ ", min_size=1, max_size=25),
)

#: stdin a token command may be handed
hostile_stdin = st.one_of(
    st.sampled_from(
        [
            b"",
            b"\xff\xfe",
            b"\x80abc",
            "tøken".encode(),
            b"a b",
            b"x" * 9000,
            b"tok\x00en",
            b"\x1b[31mred",
        ]
    ),
    st.binary(max_size=64),
    st.text(max_size=64).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


class World:
    """The prepared organizations: what a reference must not resolve to."""

    def __init__(self, cli: Invoke, database_url: str) -> None:
        self.cli, self.database_url = cli, database_url
        self.bakeri = self._add("Bakeri AS", "api")
        self.tall = self._add("Tall AS", "saft")
        self.digits = self._add(str(self.bakeri), "saft")  # a name that is another's id
        for company, name in ((101, "Alfa AS"), (202, "Beta AS")):
            sql(
                database_url,
                "INSERT INTO companies (org_id, company_id, name, is_own) "
                "VALUES ($1, $2, $3, false)",
                self.bakeri,
                company,
                name,
            )
        sql(
            database_url,
            "UPDATE organizations SET company_id = 101, company_name = 'Alfa AS', "
            "state = 'synced' WHERE id = $1",
            self.bakeri,
        )
        for year in (2021, 2022, 2023):
            sql(
                database_url,
                "INSERT INTO sync_years (org_id, year, state) VALUES ($1, $2, 'synced')",
                self.bakeri,
                year,
            )
        self.names = {"bakeri as": self.bakeri, "tall as": self.tall, str(self.bakeri): self.digits}
        self.ids = {self.bakeri, self.tall, self.digits}
        self.before = self.snapshot()

    def _add(self, name: str, method: str) -> int:
        extra = ("--token-stdin",) if method == "api" else ()
        done = self.cli("org", "add", name, "--method", method, *extra, stdin=TOKEN)
        assert done.code == 0, done.stderr
        return int(done.stdout)

    def snapshot(self) -> list[str]:
        """Every row of every table a command could change, hashed per table, in one query."""
        tables = (
            "organizations",
            "credentials",
            "companies",
            "sync_years",
            "chunks",
            "postings",
            "check_runs",
            "audit_log",
            "jobs",
            "saft_imports",
        )
        query = " UNION ALL ".join(
            f"SELECT {i} AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h "  # noqa: S608
            f"FROM {table} AS t"
            for i, table in enumerate(tables)
        )
        return [str(r["h"]) for r in sql(self.database_url, query + " ORDER BY n")]

    def resolves(self, ref: str) -> bool:
        """Whether `ref` names exactly one organization (so a command could act on it)."""
        text = ref.strip()
        if text.startswith("#"):
            digits = text[1:]
            return digits.isascii() and digits.isdigit() and int(digits) in self.ids
        by_name = self.names.get(text.lower())
        by_id = int(text) if text.isascii() and text.isdigit() and int(text) in self.ids else None
        if by_name is not None and by_id is not None and by_name != by_id:
            return False  # ambiguous: refused
        return by_name is not None or by_id is not None

    def check(self, done: Done, *, refused: bool = True) -> None:
        """The contract's promises for one hostile command."""
        assert "Traceback" not in done.stderr + done.stdout, done
        assert done.code in (0, 1, 2, 3), done
        if refused:
            assert done.code != 0, done
        if done.code != 0:
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1, done
        assert self.snapshot() == self.before, "a hostile command changed a row"


@pytest.fixture
def world(cli: Invoke, database_url: str) -> World:
    return World(cli, database_url)


#: commands that name an organization, by how they take the reference
REF_COMMANDS: tuple[Callable[[str], tuple[str, ...]], ...] = (
    lambda r: ("org", "show", r),
    lambda r: ("org", "companies", r),
    lambda r: ("org", "remove", r, "--yes"),
    lambda r: ("org", "cancel", r),
    lambda r: ("org", "resume", r),
    lambda r: ("org", "sync", r),
    lambda r: ("org", "select", r, "202", "--replace", "--allow-duplicate"),
    lambda r: ("org", "token", r, "--token-stdin"),
    lambda r: ("org", "wait", r, "--timeout", "1"),
    lambda r: ("check", r),
    lambda r: ("jobs", "list", "--org", r),
    lambda r: ("jobs", "retry", "--all", "--org", r),
    lambda r: ("ledger", "trial-balance", r, "--year", "2024"),
    lambda r: ("ledger", "postings", r, "--account", "1920", "--month", "2024-03"),
)


@FUZZ
@given(ref=hostile, command=st.sampled_from(REF_COMMANDS))
def test_a_reference_to_no_single_organization_is_refused(
    world: World, ref: str, command: Callable[[str], tuple[str, ...]]
) -> None:
    assume(not world.resolves(ref))
    args = command(ref)
    done = world.cli(*args, stdin=TOKEN)
    # jobs retry --all of no organization's jobs may find nothing to retry
    world.check(done, refused=args[:2] != ("jobs", "retry"))


def _parses_to(text: str, allowed: Callable[[int], bool]) -> bool:
    """Whether click's int (Python's, Unicode digits and all) or our id reading accepts `text`
    as a value `allowed` lets through."""
    readings: tuple[Callable[[str], int], ...] = (int, lambda t: orgs.parse_id(t.strip()))
    for reading in readings:
        try:
            if allowed(reading(text)):
                return True
        except (ValueError, BadInput):
            pass
    return False


@FUZZ
@given(value=hostile)
def test_a_company_that_is_not_reachable_is_refused(world: World, value: str) -> None:
    assume(not _parses_to(value, lambda n: n in (101, 202)))
    world.check(world.cli("org", "select", "Bakeri AS", value, "--replace", "--allow-duplicate"))


@FUZZ
@given(value=hostile)
def test_a_year_outside_the_companys_is_refused(world: World, value: str) -> None:
    this_year = dt.date.today().year
    assume(not _parses_to(value, lambda n: 2021 <= n <= this_year))
    world.check(world.cli("org", "sync", "Bakeri AS", "--year", value))


@FUZZ
@given(value=hostile, option=st.sampled_from(("--year", "--month", "--account")))
def test_a_ledger_value_that_is_not_one_is_refused(world: World, value: str, option: str) -> None:
    if option == "--month":
        try:
            reports.parse_month(value)
        except BadInput:
            pass
        else:
            assume(False)  # a real month of an account the books know: shown, not refused
    args = {
        "--year": ("trial-balance", "Bakeri AS", "--year", value),
        "--month": ("postings", "Bakeri AS", "--month", value),
        "--account": ("postings", "Bakeri AS", "--account", value, "--month", "2024-03"),
    }[option]
    world.check(world.cli("ledger", *args))


@FUZZ
@given(stdin=hostile_stdin)
def test_a_token_that_is_not_one_is_refused(world: World, stdin: bytes) -> None:
    try:
        orgs.decode_token(stdin)
    except BadInput:
        pass
    else:
        assume(False)  # a well-formed token would be stored: not a hostile example
    world.check(world.cli("org", "token", "Bakeri AS", "--token-stdin", stdin=stdin))
    world.check(world.cli("org", "add", "Ny AS", "--method", "api", "--token-stdin", stdin=stdin))


@FUZZ
@given(name=hostile)
def test_a_name_that_cannot_be_one_is_refused(world: World, name: str) -> None:
    plain = name.strip()
    assume(not plain or orgs.name_problem(plain) is not None or plain.lower() in world.names)
    world.check(world.cli("org", "add", name, "--method", "saft"))


@FUZZ
@given(value=hostile, command=st.sampled_from(["show", "retry"]))
def test_a_job_id_that_is_no_job_is_refused(world: World, value: str, command: str) -> None:
    world.check(world.cli("jobs", command, value))


@FUZZ
@given(value=hostile)
def test_any_timeout_ends_at_once_on_a_synced_organization(world: World, value: str) -> None:
    done = world.cli("org", "wait", "Bakeri AS", "--timeout", value)
    world.check(done, refused=False)
    assert done.code in (0, 2), done


@FUZZ
@given(ref=hostile, path=hostile)
def test_saft_import_of_hostile_paths_is_refused(world: World, ref: str, path: str) -> None:
    assume("\x00" not in path)  # no operating system passes a NUL byte in an argument
    world.check(world.cli("saft", "import", ref, path))
