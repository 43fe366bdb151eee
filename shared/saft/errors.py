"""Why a SAF-T Financial file is refused: one class per kind of problem, all `BadInput`.

Each carries the element and the line it is about (and the file, for a split set), so the
sentence tells the customer exactly what to fix in the export.
"""

from __future__ import annotations

from shared.errors import BadInput


class InvalidSaftFile(BadInput):
    """A SAF-T Financial file that cannot be imported as it stands; nothing of it is stored."""

    def __init__(
        self,
        message: str,
        *,
        element: str | None = None,
        line: int | None = None,
        file: str | None = None,
    ) -> None:
        super().__init__(message)
        self.element = element
        self.line = line
        self.file = file


class NotXml(InvalidSaftFile):
    """The file is not well-formed XML (or not XML at all)."""


class WrongNamespace(InvalidSaftFile):
    """The root is not `AuditFile` in the SAF-T Financial namespace."""


class UnknownVersion(InvalidSaftFile):
    """`AuditFileVersion` is not one of 1.10, 1.20, 1.30, 1.40 (or the old "1.0")."""


class InvalidValue(InvalidSaftFile):
    """A required element is missing, or a date or amount cannot be read."""


class ControlTotalMismatch(InvalidSaftFile):
    """NumberOfEntries, TotalDebit or TotalCredit disagrees with the transactions."""


class UnbalancedTransaction(InvalidSaftFile):
    """A transaction's debit and credit lines do not sum to the same amount."""


class LineSideError(InvalidSaftFile):
    """A line has both a DebitAmount and a CreditAmount, or neither."""


class UnknownAccount(InvalidSaftFile):
    """A line's AccountID is not among the MasterFiles' general ledger accounts."""


class DuplicateTransaction(InvalidSaftFile):
    """A TransactionID appears more than once in the file (or the set of split files)."""


class DuplicateMaster(InvalidSaftFile):
    """An AccountID, CustomerID or SupplierID appears twice in one file's MasterFiles."""


class MismatchedParts(InvalidSaftFile):
    """The parts of a split file do not belong together (company, currency, numbering)."""


class WrongCompany(InvalidSaftFile):
    """The file is another company's than the one the organization imports."""


#: the name stored for each kind, so a waiting command knows a refused file from a failure
KINDS: dict[str, type[InvalidSaftFile]] = {
    cls.__name__: cls
    for cls in (
        InvalidSaftFile,
        NotXml,
        WrongNamespace,
        UnknownVersion,
        InvalidValue,
        ControlTotalMismatch,
        UnbalancedTransaction,
        LineSideError,
        UnknownAccount,
        DuplicateTransaction,
        DuplicateMaster,
        MismatchedParts,
        WrongCompany,
    )
}
