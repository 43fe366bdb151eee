"""Strict values with clear errors (issue 17): what the XSD types allow, and nothing more.

A DOCTYPE is refused before lxml reads it; decimals, dates and AccountIDs are read in the
schema's lexical forms; values beyond what Postgres stores (numeric(18,2), years past 9999) are
one sentence (`BadInput`, exit 2, never retried); XML errors are in plain words with line and
column, never libxml2's advice to its callers.
"""

from __future__ import annotations

import io

import pytest

from shared.errors import BadInput
from shared.saft.errors import InvalidSaftFile, InvalidValue, NotXml
from shared.saft.generate import Spec, write
from shared.saft.reader import read, sniff

NAME = "strict.xml"


def valid() -> str:
    """A small valid file."""
    out = io.StringIO()
    write(out, Spec(transactions=3))
    return out.getvalue()


def refusal(text: str) -> InvalidSaftFile:
    """The refusal reading `text` ends with."""
    with pytest.raises(InvalidSaftFile) as caught:
        list(read(io.BytesIO(text.encode()), NAME, {}))
    assert isinstance(caught.value, BadInput)
    assert caught.value.exit_code == 2
    return caught.value


def first_amount(text: str, new: str) -> str:
    """The file with its first line's Amount replaced by `new`."""
    start = text.index("<Amount>", text.index("<Line>")) + len("<Amount>")
    return text[:start] + new + text[text.index("</Amount>", start) :]


def test_a_doctype_is_refused_with_its_line_and_column_before_lxml_reads_it() -> None:
    text = valid().replace("<AuditFile", '<!DOCTYPE AuditFile [<!ENTITY x "1">]>\n<AuditFile', 1)
    with pytest.raises(InvalidValue) as caught:
        sniff(io.BytesIO(text.encode()), NAME)
    assert str(caught.value) == (
        "strict.xml declares a DOCTYPE at line 2, column 1; a SAF-T Financial file has none "
        "(its entities would change values without a word): export the file again without it."
    )
    assert isinstance(refusal(text), InvalidValue)


@pytest.mark.parametrize("amount", ["1e3", "1_000.00", "NaN", "Infinity", "١٢٣", "12.345", "--1"])
def test_amounts_are_read_as_xs_decimal_only(amount: str) -> None:
    found = refusal(first_amount(valid(), amount))
    assert f"holds {amount!r}, which is not an amount" in str(found)
    assert found.element == "DebitAmount/Amount"


def test_an_amount_beyond_numeric_18_2_is_one_sentence() -> None:
    found = refusal(first_amount(valid(), "12345678901234567.00"))
    assert "more than 16 digits before the decimal point" in str(found)
    assert found.line is not None


@pytest.mark.parametrize(
    ("date", "says"),
    [
        ("20250101", "not a date"),
        ("2025-W01-1", "not a date"),
        ("2025-02-30", "not a date"),
        ("12025-01-01", "the year 12025"),
        ("0000-01-01", "the year 0"),
    ],
)
def test_dates_are_read_as_xs_date_within_the_years_stored(date: str, says: str) -> None:
    text = valid()
    first = text.index("<TransactionDate>") + len("<TransactionDate>")
    text = text[:first] + date + text[text.index("</TransactionDate>", first) :]
    found = refusal(text)
    assert says in str(found)
    assert found.element == "TransactionDate"


def test_a_date_with_a_time_zone_is_a_date() -> None:
    text = valid()
    first = text.index("<TransactionDate>") + len("<TransactionDate>")
    end = text.index("</TransactionDate>", first)
    text = text[:end] + "Z" + text[end:]
    assert list(read(io.BytesIO(text.encode()), NAME, {}))


def test_an_account_id_longer_than_the_schema_allows_is_refused() -> None:
    text = valid().replace("<AccountID>1500</AccountID>", f"<AccountID>{'1' * 71}</AccountID>", 1)
    found = refusal(text)
    assert "is 71 characters long; an AccountID has at most 70" in str(found)


@pytest.mark.parametrize(
    ("planted", "says"),
    [
        ("<x>" * 300, "elements are nested more than 256 levels deep"),
        ("<Note>" + "a" * 11_000_000 + "</Note>", "one text is longer than 10 MB"),
    ],
)
def test_xml_errors_are_in_plain_words_with_line_and_column(planted: str, says: str) -> None:
    text = valid().replace("<MasterFiles>", planted + "<MasterFiles>", 1)
    found = refusal(text)
    assert isinstance(found, NotXml)
    assert says in str(found)
    assert ", column " in str(found)
    assert "XML_PARSE" not in str(found)
