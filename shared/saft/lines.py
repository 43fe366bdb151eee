"""Reading one `Transaction` element into a voucher and its postings: the reader's hot path.

Written for speed: one pass over each element's children, dispatching on the qualified tag.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.saft.errors import LineSideError, UnknownAccount
from shared.saft.model import NS, Posting, Transaction
from shared.saft.values import amount as checked_amount
from shared.saft.values import date as read_date
from shared.saft.values import missing, optional_amount, required, where

Element = Any  # lxml's _Element: untyped

_P = f"{{{NS}}}"
T_LINE, T_TRANSACTION_ID, T_DATE, T_DESCRIPTION = (
    _P + "Line",
    _P + "TransactionID",
    _P + "TransactionDate",
    _P + "Description",
)
T_RECORD_ID, T_ACCOUNT_ID, T_DEBIT, T_CREDIT = (
    _P + "RecordID",
    _P + "AccountID",
    _P + "DebitAmount",
    _P + "CreditAmount",
)
T_AMOUNT, T_CURRENCY_CODE, T_CURRENCY_AMOUNT = (
    _P + "Amount",
    _P + "CurrencyCode",
    _P + "CurrencyAmount",
)
T_CUSTOMER_ID, T_SUPPLIER_ID, T_TAX_INFORMATION, T_TAX_CODE = (
    _P + "CustomerID",
    _P + "SupplierID",
    _P + "TaxInformation",
    _P + "TaxCode",
)
ZERO = Decimal(0)
#: a line's references to the MasterFiles' parties and tax codes
_REFERENCES = frozenset((T_CUSTOMER_ID, T_SUPPLIER_ID, T_TAX_INFORMATION))
#: amounts longer than this are checked slowly (no shorter text has over 16 integer digits)
_FAST_LENGTH = 16


class LineReader:
    """Reads transactions of one file; `accounts` (AccountID -> description) names the lines."""

    def __init__(self, name: str, accounts: dict[str, str]) -> None:
        self.name = name
        self.accounts = accounts
        self._date_text: str | None = None
        self._date = dt.date.min

    def transaction(self, elem: Element, journal_id: str) -> Transaction:
        """The voucher with its postings; raises on a line that cannot be imported."""
        transaction_id = date_text = description = None
        lines = []
        for element in elem:
            tag = element.tag
            if tag == T_LINE:
                lines.append(element)
            elif tag == T_TRANSACTION_ID:
                transaction_id = element.text
            elif tag == T_DATE:
                date_text = element.text
            elif tag == T_DESCRIPTION:
                description = element.text
        line = elem.sourceline
        transaction_id = required(transaction_id, "TransactionID", line, self.name)
        date = self._date_of(date_text, line)
        debit = credit = ZERO
        postings = []
        for element in lines:
            posting, is_debit, value = self.line(element, description)
            postings.append(posting)
            if is_debit:
                debit += value
            else:
                credit += value
        if not postings:
            raise missing("Line", line, self.name)
        return Transaction(
            transaction_id, journal_id, date, description or "", line, debit, credit, postings
        )

    def _date_of(self, text: str | None, line: int) -> dt.date:
        if text != self._date_text:  # consecutive vouchers often share a date
            self._date = read_date(text, "TransactionDate", line, self.name)
            self._date_text = text
        return self._date

    def line(self, elem: Element, fallback: str | None) -> tuple[Posting, bool, Decimal]:
        """(posting, whether it is a debit, the amount as written) of one `Line`."""
        record_id = account_id = description = debit = credit = None
        references = []
        for element in elem:
            tag = element.tag
            if tag == T_ACCOUNT_ID:
                account_id = element.text
            elif tag == T_DEBIT:
                debit = element
            elif tag == T_CREDIT:
                credit = element
            elif tag == T_RECORD_ID:
                record_id = element.text
            elif tag == T_DESCRIPTION:
                description = element.text
            elif tag in _REFERENCES:
                references.append(element)
        line = elem.sourceline
        if (debit is None) == (credit is None):
            raise self._side_error(line, both=debit is not None)
        name = self.accounts.get(account_id) if account_id is not None else None
        if name is None:
            raise self._account_error(account_id, elem)
        side = debit if debit is not None else credit
        value, currency, currency_value = self._amounts(side)
        signed = value if debit is not None else -value
        if currency_value is not None and debit is None:
            currency_value = -currency_value
        posting = Posting(
            record_id or "",
            account_id or "",
            name,
            signed,
            description or fallback,
            currency,
            currency_value,
            line,
            *_references(references),
        )
        return posting, debit is not None, value

    def _amounts(self, side: Element) -> tuple[Decimal, str | None, Decimal | None]:
        if len(side) == 1:  # the usual case: only the Amount, in the default currency
            value = _fast_amount(side[0].text)
            if value is not None and side[0].tag == T_AMOUNT:
                return value, None, None
        text = currency = currency_text = None
        for element in side:
            tag = element.tag
            if tag == T_AMOUNT:
                text = element.text
            elif tag == T_CURRENCY_CODE:
                currency = element.text
            elif tag == T_CURRENCY_AMOUNT:
                currency_text = element.text
        local, line = side.tag[len(_P) :], side.sourceline
        value = _fast_amount(text) or checked_amount(text, f"{local}/Amount", line, self.name)
        if currency_text is None:
            return value, currency, None
        return (
            value,
            currency,
            optional_amount(currency_text, f"{local}/CurrencyAmount", line, self.name),
        )

    def _side_error(self, line: int, *, both: bool) -> LineSideError:
        what = "both a DebitAmount and a CreditAmount" if both else "neither a DebitAmount nor a "
        what += "" if both else "CreditAmount"
        return LineSideError(
            f"{where('Line', line, self.name)} has {what}; every line must have exactly one of "
            "them: correct the voucher and export the file again.",
            element="Line",
            line=line,
            file=self.name,
        )

    def _account_error(self, account_id: str | None, elem: Element) -> Exception:
        found = elem.find(T_ACCOUNT_ID)
        line = elem.sourceline if found is None else found.sourceline
        if account_id is None or not account_id.strip():
            return missing("AccountID", line, self.name)
        return UnknownAccount(
            f"{where('AccountID', line, self.name)} refers to account {account_id!r}, which is "
            "not among the MasterFiles' GeneralLedgerAccounts; export the file with its "
            "complete chart of accounts, or correct the line.",
            element="AccountID",
            line=line,
            file=self.name,
        )


def _references(elements: list[Element]) -> tuple[str | None, str | None, str | None]:
    """A line's CustomerID, SupplierID and TaxCode: the one its TaxInformation name, if one."""
    customer = supplier = tax_code = None
    codes = 0
    for element in elements:
        tag = element.tag
        if tag == T_CUSTOMER_ID:
            customer = _key(element.text)
        elif tag == T_SUPPLIER_ID:
            supplier = _key(element.text)
        else:
            code = _key(element.findtext(T_TAX_CODE))
            if code is not None:
                codes += tax_code != code
                tax_code = code
    return customer, supplier, tax_code if codes == 1 else None


def _key(text: str | None) -> str | None:
    """A reference to the MasterFiles as written, stripped; None when absent or blank."""
    return None if text is None else (text.strip() or None)


def _fast_amount(text: str | None) -> Decimal | None:
    """The amount when it is plainly one with at most two decimals; None to check it slowly."""
    if text is None or len(text) > _FAST_LENGTH or "e" in text or "E" in text or "_" in text:
        return None
    if not text.isascii():
        return None
    dot = text.find(".")
    if dot >= 0 and len(text) - dot > 3:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
