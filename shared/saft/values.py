"""Reading single values of a SAF-T file: versions, dates, amounts, the selection period."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from shared.models import FIRST_YEAR, LAST_YEAR
from shared.saft.errors import InvalidValue, UnknownVersion
from shared.saft.model import Period

#: AuditFileVersion values this importer reads ("1.0" is on the official 1.10-era examples)
VERSION = re.compile(r"^1\.(0|00|1|10|2|20|3|30|4|40)$")
#: decimals an Amount may have (SAFmonetaryType: xs:decimal, 18 digits of which 2 fractional)
AMOUNT_DECIMALS = 2
#: digits before the point an amount may have: numeric(18,2) in Postgres, totalDigits 18 - 2
AMOUNT_INTEGER_DIGITS = 16
#: xs:decimal's lexical form (no exponent, no "NaN", no "1_000"), surrounding blanks allowed
DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*")
#: xs:date's lexical form: YYYY-MM-DD with an optional time zone
DATE = re.compile(r"\s*(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?\s*")
#: the longest AccountID (SAFmiddle2textType)
ACCOUNT_ID_LENGTH = 70


def where(element: str, line: int, file: str) -> str:
    """`<Element>` at line N of FILE, for sentences."""
    return f"<{element}> at line {line} of {file}"


def check_version(text: str | None, line: int, file: str) -> str:
    """The version, or UnknownVersion."""
    version = (text or "").strip()
    if not VERSION.match(version):
        raise UnknownVersion(
            f"{where('AuditFileVersion', line, file)} says {version!r}, which is not a SAF-T "
            "Financial version this importer reads (1.10, 1.20, 1.30 or 1.40); export the file "
            "again in one of those versions.",
            element="AuditFileVersion",
            line=line,
            file=file,
        )
    return version


def missing(element: str, line: int, file: str) -> InvalidValue:
    """The error for a required element that is missing or empty."""
    return InvalidValue(
        f"{where(element, line, file)} is missing or empty; the export must fill it in.",
        element=element,
        line=line,
        file=file,
    )


def required(text: str | None, element: str, line: int, file: str) -> str:
    """The element's text, or InvalidValue when it is missing or empty."""
    if text is None or not text.strip():
        raise missing(element, line, file)
    return text


def amount(text: str | None, element: str, line: int, file: str) -> Decimal:
    """A monetary amount with at most two decimals, or InvalidValue."""
    value = _finite(text or "")
    if value is None or _decimals(value) > AMOUNT_DECIMALS:
        raise _not_a_number(text, "an amount with at most two decimals", element, line, file)
    return _in_range(value, element, line, file)


def optional_amount(text: str | None, element: str, line: int, file: str) -> Decimal | None:
    """An amount of any precision (currency amounts, balances), or None when absent."""
    if text is None:
        return None
    value = _finite(text)
    if value is None:
        raise _not_a_number(text, "a number", element, line, file)
    return _in_range(value, element, line, file)


def _finite(text: str) -> Decimal | None:
    """The decimal written in xs:decimal's form, or None (Python's own form is wider)."""
    if DECIMAL.fullmatch(text) is None:
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def _in_range(value: Decimal, element: str, line: int, file: str) -> Decimal:
    if value.adjusted() < AMOUNT_INTEGER_DIGITS:
        return value
    raise InvalidValue(
        f"{where(element, line, file)} holds {value}, which has more than "
        f"{AMOUNT_INTEGER_DIGITS} digits before the decimal point, more than an amount may have "
        "(18 digits, 2 of them decimals); correct it in the export.",
        element=element,
        line=line,
        file=file,
    )


def account_id(text: str, line: int, file: str) -> str:
    """An AccountID of at most 70 characters, or InvalidValue."""
    if len(text) <= ACCOUNT_ID_LENGTH:
        return text
    raise InvalidValue(
        f"{where('AccountID', line, file)} is {len(text)} characters long; an AccountID has at "
        f"most {ACCOUNT_ID_LENGTH}: correct it in the export.",
        element="AccountID",
        line=line,
        file=file,
    )


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _not_a_number(text: str | None, what: str, element: str, line: int, file: str) -> InvalidValue:
    return InvalidValue(
        f"{where(element, line, file)} holds {text!r}, which is not {what}; correct it in the "
        "export.",
        element=element,
        line=line,
        file=file,
    )


def date(text: str | None, element: str, line: int, file: str) -> dt.date:
    """An xs:date (YYYY-MM-DD, a time zone ignored) in years 1-9999, or InvalidValue."""
    found = DATE.fullmatch(text or "")
    if found is not None and not 1 <= int(found[1]) <= dt.MAXYEAR:
        raise InvalidValue(
            f"{where(element, line, file)} holds {text!r}, a date in the year {int(found[1])}; "
            f"dates are stored for the years 1 to {dt.MAXYEAR} only: correct it in the export.",
            element=element,
            line=line,
            file=file,
        )
    try:
        if found is not None:
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        pass
    raise InvalidValue(
        f"{where(element, line, file)} holds {text!r}, which is not a date (YYYY-MM-DD); "
        "correct it in the export.",
        element=element,
        line=line,
        file=file,
    )


def year(text: str | None, element: str, line: int, file: str) -> int:
    """A year within the schema's range, or InvalidValue."""
    stripped = (text or "").strip()
    if not stripped.isdigit() or not FIRST_YEAR <= int(stripped) <= LAST_YEAR:
        raise InvalidValue(
            f"{where(element, line, file)} holds {text!r}, which is not a year from {FIRST_YEAR} "
            f"to {LAST_YEAR}; correct it in the export.",
            element=element,
            line=line,
            file=file,
        )
    return int(stripped)


def month_of_period(text: str | None, element: str, line: int, file: str) -> int:
    """An accounting period number as a month: 1-12 (0 counts as 1, 13 and above as 12)."""
    stripped = (text or "").strip()
    if not stripped.isdigit():
        raise InvalidValue(
            f"{where(element, line, file)} holds {text!r}, which is not a period number; "
            "correct it in the export.",
            element=element,
            line=line,
            file=file,
        )
    return min(max(int(stripped), 1), 12)


def period_of_months(start_year: int, start_month: int, end_year: int, end_month: int) -> Period:
    """The days from the first of the start month to the last of the end month."""
    last_day = calendar.monthrange(end_year, end_month)[1]
    return Period(dt.date(start_year, start_month, 1), dt.date(end_year, end_month, last_day))


def checked_period(period: Period, line: int, file: str) -> Period:
    """The period, or InvalidValue when it ends before it starts or leaves the schema's years."""
    if period.end < period.start or not (
        period.start.year >= FIRST_YEAR and period.end.year <= LAST_YEAR
    ):
        raise InvalidValue(
            f"{where('SelectionCriteria', line, file)} gives the period {period}, which ends "
            f"before it starts or lies outside {FIRST_YEAR}-{LAST_YEAR}; correct it in the export.",
            element="SelectionCriteria",
            line=line,
            file=file,
        )
    return period
