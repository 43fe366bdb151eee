"""The streaming reader and its checks, without a database: examples, generated faults, parts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import psutil
import pytest
from saft_support import FIXTURES, VALID, generate, line_of, read_truth

from shared.errors import BadInput
from shared.saft.checks import Ledger
from shared.saft.errors import (
    ControlTotalMismatch,
    InvalidSaftFile,
    InvalidValue,
    LineSideError,
    MismatchedParts,
    NotXml,
    UnbalancedTransaction,
    UnknownAccount,
    UnknownVersion,
    WrongNamespace,
)
from shared.saft.files import SetReader, part_of, resolve_parts
from shared.saft.generate import Fault, Spec, write
from shared.saft.model import Period, Transaction
from shared.saft.reader import read, sniff
from shared.saft.values import period_of_months


def read_all(*paths: Path) -> tuple[Ledger, list[Transaction]]:
    """Every transaction of a file or set, checked."""
    ledger = Ledger()
    reader = SetReader([(p.name, p) for p in paths], ledger)
    return ledger, list(reader.transactions())


@pytest.mark.parametrize("name", VALID)
def test_each_valid_example_reads_to_its_own_control_totals(name: str) -> None:
    path = FIXTURES / name
    truth = read_truth(path)
    ledger, transactions = read_all(path)
    postings = [p for t in transactions for p in t.postings]
    assert len(transactions) == truth.transactions == truth.entries
    assert len(postings) == truth.lines
    assert sum(p.amount for p in postings if p.amount > 0) == truth.debit == truth.total_debit
    assert -sum(p.amount for p in postings if p.amount < 0) == truth.credit == truth.total_credit
    assert ledger.header is not None
    assert ledger.header.org_number == truth.org_number
    assert all(p.account_name for p in postings), "every line's account is named"
    assert {y: c.postings for y, c in ledger.years.items()} == truth.years


def test_the_prefix_does_not_matter_only_the_namespace(tmp_path: Path) -> None:
    prefixed, _ = generate(tmp_path, Spec(prefix="n1"), "prefixed.xml")
    default, _ = generate(tmp_path, Spec(), "default.xml")
    assert "<n1:Transaction>" in prefixed.read_text()
    first, second = read_all(prefixed)[1], read_all(default)[1]
    assert [t.postings for t in first] == [t.postings for t in second]


def test_an_old_example_header_period_and_accounts() -> None:
    path = FIXTURES / VALID[0]
    ledger, _ = read_all(path)
    assert ledger.header is not None
    assert ledger.header.version == "1.0"
    assert ledger.header.company_name == "Tøyen Lekefabrikk AS"
    assert ledger.header.currency == "NOK"
    assert ledger.period() == Period(dt.date(2017, 1, 1), dt.date(2017, 4, 30))
    assert len(ledger.accounts) == 22


def test_roll_forward_is_a_warning_naming_the_accounts_that_fail() -> None:
    ledger, _ = read_all(FIXTURES / VALID[0])
    assert sorted(ledger.roll_forward_differences()) == ["1920", "2711", "2740"]
    assert any("3 account(s) do not roll forward" in w for w in ledger.warnings())


def test_a_foreign_currency_line_keeps_its_currency_and_signed_amount(tmp_path: Path) -> None:
    text = (FIXTURES / VALID[2]).read_text(encoding="utf-8")
    plain = "<Amount>2500.00</Amount>\n                    </CreditAmount>"
    assert plain in text
    foreign = plain.replace(
        "</Amount>",
        "</Amount><CurrencyCode>EUR</CurrencyCode><CurrencyAmount>215.50</CurrencyAmount>",
    )
    path = tmp_path / "eur.xml"
    path.write_text(text.replace(plain, foreign, 1), encoding="utf-8")
    _, transactions = read_all(path)
    (line,) = [p for t in transactions for p in t.postings if p.currency == "EUR"]
    assert (line.amount, line.currency_amount) == (Decimal("-2500.00"), Decimal("-215.50"))


@pytest.mark.parametrize(
    ("name", "error", "element"),
    [
        ("Eksempelfil fra xmlSpy.xml", WrongNamespace, "AuditFile"),
        ("generated_auditfile_formatted.xml", UnknownVersion, "AuditFileVersion"),
        ("ruby-saft-biggest.xml", UnknownAccount, "AccountID"),
    ],
)
def test_each_invalid_example_is_refused_naming_element_and_line(
    name: str, error: type[InvalidSaftFile], element: str
) -> None:
    with pytest.raises(error) as refused:
        read_all(FIXTURES / name)
    assert refused.value.element == element
    assert refused.value.line is not None
    assert refused.value.line > 1
    assert f"line {refused.value.line} of {name}" in str(refused.value)
    assert refused.value.exit_code == 2, "a BadInput: exit code 2"


#: fault -> (error, element, a marker on the line the error must name, which occurrence)
FAULTS = {
    Fault.NOT_XML: (NotXml, None, "Dette er ikke", 1),
    Fault.TRUNCATED: (NotXml, None, None, 0),
    Fault.NO_NAMESPACE: (WrongNamespace, "AuditFile", "<AuditFile", 1),
    Fault.WRONG_NAMESPACE: (WrongNamespace, "AuditFile", "<AuditFile", 1),
    Fault.UNKNOWN_VERSION: (UnknownVersion, "AuditFileVersion", "<AuditFileVersion>", 1),
    Fault.WRONG_ENTRIES: (ControlTotalMismatch, "NumberOfEntries", "<NumberOfEntries>", 1),
    Fault.WRONG_DEBIT: (ControlTotalMismatch, "TotalDebit", "<TotalDebit>", 1),
    Fault.WRONG_CREDIT: (ControlTotalMismatch, "TotalCredit", "<TotalCredit>", 1),
    Fault.UNBALANCED: (UnbalancedTransaction, "Transaction", "<Transaction>", 6),
    Fault.BOTH_SIDES: (LineSideError, "Line", "<Line>", 16),
    Fault.NO_SIDE: (LineSideError, "Line", "<Line>", 16),
    Fault.UNKNOWN_ACCOUNT: (UnknownAccount, "AccountID", "<AccountID>9999<", 1),
    Fault.BAD_AMOUNT: (InvalidValue, "DebitAmount/Amount", "<DebitAmount>", 11),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_generated_fault_is_refused_with_its_error_element_and_line(
    fault: Fault, tmp_path: Path
) -> None:
    error, element, marker, occurrence = FAULTS[fault]
    path, _ = generate(tmp_path, Spec(transactions=10, fault=fault, fault_at=5))
    with pytest.raises(error) as refused:
        read_all(path)
    assert refused.value.element == element
    if marker is not None:
        assert refused.value.line == line_of(path, marker, occurrence)
    assert refused.value.file == path.name
    assert str(refused.value).count(".") >= 1
    assert "\n" not in str(refused.value), "one sentence"


def test_a_duplicate_id_and_a_roll_forward_fault_still_read(tmp_path: Path) -> None:
    """Duplicates are found over the staged rows (see test_import); roll-forward only warns."""
    duplicate, _ = generate(tmp_path, Spec(fault=Fault.DUPLICATE_ID), "dup.xml")
    ids = [t.transaction_id for t in read_all(duplicate)[1]]
    assert len(ids) != len(set(ids))
    rolled, _ = generate(tmp_path, Spec(fault=Fault.ROLL_FORWARD), "roll.xml")
    ledger, _ = read_all(rolled)
    assert list(ledger.roll_forward_differences()) == ["1500"]


def test_sniff_reads_the_header_only(tmp_path: Path) -> None:
    path, _ = generate(tmp_path, Spec(transactions=3, fault=Fault.TRUNCATED, fault_at=1))
    with path.open("rb") as stream:
        header = sniff(stream, path.name)  # the broken end is never reached
    assert header.org_number == "999999999"
    assert header.period == period_of_months(2025, 1, 2025, 12)
    with pytest.raises(NotXml, match="not well-formed XML"):
        sniff(io.BytesIO(b"PK\x03\x04 a zip file"), "export.zip")


def consume(what: str, stream: io.BytesIO, name: str) -> None:
    """Run the header check (`sniff`) or the whole reader (`read`) over a stream."""
    if what == "sniff":
        sniff(stream, name)
    else:
        list(read(stream, name, {}))


@pytest.mark.parametrize("what", ["sniff", "read"])
def test_anything_before_the_header_is_refused_naming_it(what: str) -> None:
    # Given a file whose root begins with 100 KB of an unknown element, then the Header
    text = io.StringIO()
    write(text, Spec(transactions=3))
    valid = text.getvalue().encode()
    at = valid.index(b"<Header>")
    stream = io.BytesIO(valid[:at] + b"<Unknown>x</Unknown>" * 5000 + valid[at:])
    # Then both the header check and the reader refuse it, naming the first element
    with pytest.raises(InvalidValue, match=r"\(it begins with <Unknown>\)"):
        consume(what, stream, "first.xml")


@pytest.mark.parametrize("what", ["sniff", "read"])
def test_a_root_of_another_name_is_refused_as_not_saft(what: str) -> None:
    body = b"<p>x</p>" * 20000
    stream = io.BytesIO(b"<?xml version='1.0'?>\n<html><body>" + body + b"</body></html>")
    with pytest.raises(WrongNamespace) as refused:
        consume(what, stream, "page.xml")
    assert str(refused.value).startswith(
        "The root element <html> at line 2 of page.xml is in no namespace; a SAF-T Financial "
        "file has <AuditFile> in"
    )


def test_accounts_named_by_an_earlier_part_are_known_to_a_later_one(tmp_path: Path) -> None:
    first, _ = generate(tmp_path, Spec(transactions=8, part=(1, 2), vouchers=(0, 4)))
    second, _ = generate(
        tmp_path, Spec(transactions=8, vouchers=(4, 8), master_files=False, part=(2, 2))
    )
    ledger, transactions = read_all(first, second)
    assert [t.transaction_id for t in transactions] == [str(n) for n in range(1, 9)]
    assert ledger.roll_forward_differences() == {}
    with pytest.raises(UnknownAccount):
        read_all(second)


def test_parts_of_other_companies_are_refused(tmp_path: Path) -> None:
    first, _ = generate(tmp_path, Spec(transactions=2, part=(1, 2)))
    second, _ = generate(tmp_path, Spec(transactions=2, org_number="888888888", part=(2, 2)))
    with pytest.raises(MismatchedParts, match="888888888"):
        read_all(first, second)


def test_resolve_parts_finds_the_siblings_in_order_and_names_a_missing_one(tmp_path: Path) -> None:
    paths = [
        generate(tmp_path, Spec(transactions=1, first_id=n, part=(n, 3)))[0] for n in (1, 2, 3)
    ]
    assert part_of(paths[1])[1:] == (2, 3)  # type: ignore[index]
    assert resolve_parts([paths[2]]) == paths
    assert resolve_parts([paths[1], paths[0], paths[2]]) == paths
    paths[1].unlink()
    with pytest.raises(BadInput, match="Part 2 of 3"):
        resolve_parts([paths[0]])
    with pytest.raises(BadInput, match="does not exist"):
        resolve_parts([tmp_path / "nope.xml"])


def test_values_map_periods_to_months() -> None:
    assert period_of_months(2017, 1, 2017, 4) == Period(dt.date(2017, 1, 1), dt.date(2017, 4, 30))
    assert period_of_months(2024, 2, 2024, 2).end == dt.date(2024, 2, 29)


def test_reading_keeps_memory_flat_whatever_the_file_size(tmp_path: Path) -> None:
    """A full tree would take ~6.7x the file; cleared elements keep the reader's memory flat."""
    path, written = generate(tmp_path, Spec(transactions=40_000), "big.xml")
    assert path.stat().st_size > 60 * 2**20
    process = psutil.Process()
    ledger = Ledger()
    samples = []
    with path.open("rb") as stream:
        for n, event in enumerate(read(stream, path.name, {})):
            ledger.feed(event)
            if n in (2_000, 39_000):
                samples.append(process.memory_info().rss)
    assert ledger.postings == written.postings
    assert samples[1] - samples[0] < 20 * 2**20, "memory grew with the file"


def test_amounts_are_exact_decimals(tmp_path: Path) -> None:
    path, written = generate(tmp_path, Spec(transactions=50, lines=5))
    _, transactions = read_all(path)
    debit = sum((t.debit for t in transactions), Decimal(0))
    assert debit == Decimal(written.debit).scaleb(-2)
    assert all(isinstance(p.amount, Decimal) for t in transactions for p in t.postings)
