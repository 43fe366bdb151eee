"""The registers postings point to, sans I/O: where each is listed, which fields, and its rows.

One `Register` per master table of migration 0015: its path, the narrow `fields` it is asked
with (one page of up to 10,000 objects each), and a pure parser from one listed object to the
table's row, in the column order of `COLUMNS`. Field names follow the public spec (and the
sandbox, which serves them by the spec's names).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from worker.tripletex.protocol import to_decimal

#: a row of a master table, in the order of its `COLUMNS`
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Register:
    """One list endpoint and the master table it fills."""

    #: the master table (and the name the refresh is recorded under)
    table: str
    #: the path segments under /v2
    path: tuple[str, ...]
    #: the table's columns a row fills, in order (the first is the key within an organization)
    columns: tuple[str, ...]
    fields: str
    parse: Callable[[Any], Row]
    #: extra query parameters
    params: tuple[tuple[str, str], ...] = ()

    @property
    def query(self) -> dict[str, str]:
        """The query of its one page (without `from`/`count`): fields, fixed order, params."""
        return {"fields": self.fields, "sorting": "id", **dict(self.params)}


def _get(obj: Any, key: str) -> Any:
    """obj[key], None where it is missing (a token without rights to a field gets none)."""
    return obj.get(key) if isinstance(obj, dict) else None


def _id(obj: Any, key: str = "id") -> int:
    value = _get(obj, key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"expected an integer {key}, got {type(value).__name__}")


def _opt_id(obj: Any, key: str) -> int | None:
    """The id of a reference `obj[key]` ({"id": ...}), None for a null or missing one."""
    ref = _get(obj, key)
    return None if ref is None else _id(ref)


def _text(value: Any) -> str | None:
    """A string or number as text; None and "" as None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError("expected text, got a boolean")
    if isinstance(value, str | int):
        return str(value)
    raise TypeError(f"expected text, got {type(value).__name__}")


def _flag(obj: Any, key: str, default: bool) -> bool:
    value = _get(obj, key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected a boolean {key}, got {type(value).__name__}")


def _percentage(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value)


def account_row(item: Any) -> Row:
    """Account -> (number, id, name, account_type, ledger_type, vat_type_id, saft_code,
    is_inactive)."""
    number = _get(item, "number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError("an account without a number")
    return (
        str(number),
        _id(item),
        _text(_get(item, "name")),
        _text(_get(item, "type")),
        _text(_get(item, "ledgerType")),
        _opt_id(item, "vatType"),
        _text(_get(item, "saftCode")),
        _flag(item, "isInactive", False),
    )


def named_row(item: Any) -> Row:
    """VoucherType -> (id, name)."""
    return _id(item), _text(_get(item, "name"))


def vat_type_row(item: Any) -> Row:
    """VatType -> (id, number, name, percentage)."""
    return (
        _id(item),
        _text(_get(item, "number")),
        _text(_get(item, "name")),
        _percentage(_get(item, "percentage")),
    )


def _party_row(number_field: str) -> Callable[[Any], Row]:
    def parse(item: Any) -> Row:
        """Customer or Supplier -> (id, number, name, organization_number, is_inactive); a
        number of 0 (the spec gives both kinds of party both numbers) is no number."""
        number = _get(item, number_field)
        return (
            _id(item),
            None if number == 0 else _text(number),
            _text(_get(item, "name")),
            _text(_get(item, "organizationNumber")),
            _flag(item, "isInactive", False),
        )

    return parse


def employee_row(item: Any) -> Row:
    """Employee -> (id, name): first and last name, nothing else of the person."""
    parts = (_text(_get(item, "firstName")), _text(_get(item, "lastName")))
    name = " ".join(part for part in parts if part)
    return _id(item), name or None


def _numbered_row(number_field: str, inactive_field: str) -> Callable[[Any], Row]:
    def parse(item: Any) -> Row:
        """Department, Project or Product -> (id, number, name, is_inactive)."""
        return (
            _id(item),
            _text(_get(item, number_field)),
            _text(_get(item, "name")),
            _flag(item, inactive_field, False),
        )

    return parse


def dimension_name_row(item: Any) -> Row:
    """AccountingDimensionName -> (dimension_index, name, is_active)."""
    return (
        _id(item, "dimensionIndex"),
        _text(_get(item, "dimensionName")),
        _flag(item, "active", True),
    )


def dimension_value_row(item: Any) -> Row:
    """AccountingDimensionValue -> (id, dimension_index, number, name, is_active)."""
    return (
        _id(item),
        _id(item, "dimensionIndex"),
        _text(_get(item, "number")),
        _text(_get(item, "displayName")),
        _flag(item, "active", True),
    )


#: customers and suppliers alike
PARTY_COLUMNS = ("id", "number", "name", "organization_number", "is_inactive")
#: departments, projects and products alike
NUMBERED_COLUMNS = ("id", "number", "name", "is_inactive")

#: every register, in the order a refresh asks for them: eleven requests, one page each
REGISTERS = (
    Register(
        "ledger_accounts",
        ("ledger", "account"),
        (
            "number",
            "id",
            "name",
            "account_type",
            "ledger_type",
            "vat_type_id",
            "saft_code",
            "is_inactive",
        ),
        "id,number,name,type,ledgerType,vatType(id),saftCode,isInactive",
        account_row,
    ),
    Register("voucher_types", ("ledger", "voucherType"), ("id", "name"), "id,name", named_row),
    Register(
        "vat_types",
        ("ledger", "vatType"),
        ("id", "number", "name", "percentage"),
        "id,number,name,percentage",
        vat_type_row,
    ),
    Register(
        "customers",
        ("customer",),
        PARTY_COLUMNS,
        "id,customerNumber,name,organizationNumber,isInactive",
        _party_row("customerNumber"),
    ),
    Register(
        "suppliers",
        ("supplier",),
        PARTY_COLUMNS,
        "id,supplierNumber,name,organizationNumber,isInactive",
        _party_row("supplierNumber"),
    ),
    Register("employees", ("employee",), ("id", "name"), "id,firstName,lastName", employee_row),
    Register(
        "departments",
        ("department",),
        NUMBERED_COLUMNS,
        "id,departmentNumber,name,isInactive",
        _numbered_row("departmentNumber", "isInactive"),
    ),
    Register(
        "projects",
        ("project",),
        NUMBERED_COLUMNS,
        "id,number,name,isClosed",
        _numbered_row("number", "isClosed"),
    ),
    Register(
        "products",
        ("product",),
        NUMBERED_COLUMNS,
        "id,number,name,isInactive",
        _numbered_row("number", "isInactive"),
    ),
    Register(
        "dimension_names",
        ("ledger", "accountingDimensionName", "search"),
        ("dimension_index", "name", "is_active"),
        "id,dimensionName,dimensionIndex,active",
        dimension_name_row,
    ),
    Register(
        "dimension_values",
        ("ledger", "accountingDimensionValue", "search"),
        ("id", "dimension_index", "number", "name", "is_active"),
        "id,dimensionIndex,number,displayName,active",
        dimension_value_row,
    ),
)
