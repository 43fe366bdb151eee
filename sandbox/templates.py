"""Voucher templates: how a 64-bit head word becomes a balanced set of posting lines (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple


class Role(StrEnum):
    """Which party, if any, a posting line refers to."""

    NONE = "NONE"
    CUSTOMER = "CUSTOMER"
    SUPPLIER = "SUPPLIER"


class Kind(StrEnum):
    """The kinds of voucher the generator books."""

    SALE = "SALE"
    CASH_SALE = "CASH_SALE"
    PURCHASE = "PURCHASE"
    FOREIGN_PURCHASE = "FOREIGN_PURCHASE"
    FOREIGN_SALE = "FOREIGN_SALE"
    CUSTOMER_PAYMENT = "CUSTOMER_PAYMENT"
    SUPPLIER_PAYMENT = "SUPPLIER_PAYMENT"
    SALARY = "SALARY"
    BANK_FEE = "BANK_FEE"
    RENT = "RENT"
    JOURNAL = "JOURNAL"


class Line(NamedTuple):
    """One posting line of a voucher: amounts in øre of the company currency, debit positive."""

    number: int
    amount: int
    gross: int
    vat_id: int
    role: Role
    type: str | None
    system_generated: bool


#: cost accounts a purchase line picks from (4 bits)
COST_ACCOUNTS: tuple[int, ...] = (4000, 4000, 4000, 4500, 4500, 6100, 6340, 6540)
COST_ACCOUNTS += (6800, 6800, 6900, 7000, 7320, 7000, 6800, 4000)
#: accounts a manual journal voucher moves amounts between (4 bits)
JOURNAL_ACCOUNTS: tuple[int, ...] = (1700, 2990, 6000, 7790, 5090, 2940, 8150, 8050)
JOURNAL_ACCOUNTS += (1250, 2050, 1200, 7700, 8160, 2740, 1700, 6000)


def amount_table(low: int, high: int) -> tuple[int, ...]:
    """65 points in whole kroner, geometric from low to high (exact decimal maths, no floats)."""
    with localcontext() as ctx:
        ctx.prec = 28
        ratio = Decimal(high) / Decimal(low)
        points = [
            int((Decimal(low) * ratio ** (Decimal(k) / 64)).to_integral_value()) for k in range(65)
        ]
    return tuple(points)


def pick_amount(head: int, table: tuple[int, ...]) -> int:
    """An amount in øre from bits 10-32 of the head: log-uniform kroner, sometimes with øre."""
    pos = (head >> 10) & 0xFFFF
    i, frac = pos >> 10, pos & 1023
    kroner = table[i] + ((table[i + 1] - table[i]) * frac >> 10)
    ore = (head >> 26) & 127
    return kroner * 100 + (ore if ore < 100 else 0)


def split(total: int, parts: int, bits: int) -> list[int]:
    """Split a positive total into `parts` positive integers that sum to it exactly."""
    weights = [16 + ((bits >> (8 * i)) & 0xFF) for i in range(parts)]
    whole = sum(weights)
    shares = [total * w // whole for w in weights[:-1]]
    shares.append(total - sum(shares))
    return shares


def vat_of(net: int) -> int:
    """25 % VAT of a net amount in øre, rounded half up."""
    return (net + 2) // 4


def employer_tax(salary: int) -> int:
    """Employer's national insurance contribution (14.1 %), rounded half up."""
    return (salary * 141 + 500) // 1000


@dataclass(frozen=True, slots=True)
class Template:
    """One kind of voucher: its sizes, amount range, voucher type and line builder."""

    kind: Kind
    weight: int
    sizes: tuple[int, int, int, int]
    table: tuple[int, ...]
    voucher_type: int
    foreign: bool
    build: Callable[[Template, int, int, int], list[Line]]
    debit_of: Callable[[int], int]

    def size(self, head: int) -> int:
        """Number of postings of a voucher with this head."""
        return self.sizes[(head >> 8) & 3]

    def amount(self, head: int) -> int:
        """The template's base amount (net, salary or total) in øre."""
        return pick_amount(head, self.table)

    def debit(self, head: int) -> int:
        """Sum of the voucher's positive postings (equal to minus the sum of negative ones)."""
        return self.debit_of(self.amount(head))

    def lines(self, head: int, detail: int) -> list[Line]:
        """The voucher's posting lines; they always sum to zero."""
        return self.build(self, head, detail, self.size(head))


def _plain(net: int) -> int:
    return net


def _with_vat(net: int) -> int:
    return net + vat_of(net)


def _with_employer_tax(salary: int) -> int:
    return salary + employer_tax(salary)


def _line(number: int, amount: int, vat_id: int = 0, role: Role = Role.NONE) -> Line:
    return Line(number, amount, amount, vat_id, role, None, False)


def _sale(t: Template, head: int, detail: int, n: int) -> list[Line]:
    net = t.amount(head)
    vat = vat_of(net)
    first = 1920 if t.kind is Kind.CASH_SALE else 1500
    role = Role.NONE if t.kind is Kind.CASH_SALE else Role.CUSTOMER
    kind = None if t.kind is Kind.CASH_SALE else "OUTGOING_INVOICE_CUSTOMER_POSTING"
    lines = [Line(first, net + vat, net + vat, 0, role, kind, False)]
    for part, part_vat in zip(split(net, n - 2, detail), split(vat, n - 2, detail), strict=True):
        lines.append(Line(3000, -part, -(part + part_vat), 3, Role.NONE, None, False))
    lines.append(Line(2700, -vat, -vat, 0, Role.NONE, None, True))
    return lines


def _purchase(t: Template, head: int, detail: int, n: int) -> list[Line]:
    net = t.amount(head)
    vat = vat_of(net)
    lines = []
    for i, (part, part_vat) in enumerate(
        zip(split(net, n - 2, detail), split(vat, n - 2, detail), strict=True)
    ):
        number = COST_ACCOUNTS[(detail >> (48 + 4 * i)) & 15]
        lines.append(Line(number, part, part + part_vat, 1, Role.NONE, "INVOICE_EXPENSE", False))
    lines.append(Line(2710, vat, vat, 0, Role.NONE, None, True))
    lines.append(_line(2400, -(net + vat), role=Role.SUPPLIER))
    return lines


def _foreign_purchase(t: Template, head: int, detail: int, n: int) -> list[Line]:
    total = t.amount(head)
    lines = [_line(4300, part, 21) for part in split(total, n - 1, detail)]
    lines.append(_line(2400, -total, role=Role.SUPPLIER))
    return lines


def _foreign_sale(t: Template, head: int, detail: int, n: int) -> list[Line]:
    total = t.amount(head)
    lines = [Line(1500, total, total, 0, Role.CUSTOMER, "OUTGOING_INVOICE_CUSTOMER_POSTING", False)]
    lines += [_line(3200, -part, 52) for part in split(total, n - 1, detail)]
    return lines


def _transfer(debit_account: int, credit_account: int) -> Callable[..., list[Line]]:
    def build(t: Template, head: int, detail: int, n: int) -> list[Line]:
        total = t.amount(head)
        debit = _line(debit_account, total, role=_role(debit_account))
        credit = _line(credit_account, -total, role=_role(credit_account))
        if t.kind is Kind.CUSTOMER_PAYMENT:
            debit = debit._replace(type="INCOMING_PAYMENT")
            credit = credit._replace(type="INCOMING_PAYMENT_OPPOSITE")
        if t.kind is Kind.RENT and detail & 3 == 0:
            debit = debit._replace(number=7500)
        return [debit, credit]

    return build


def _role(number: int) -> Role:
    if number == 1500:
        return Role.CUSTOMER
    return Role.SUPPLIER if number == 2400 else Role.NONE


def _salary(t: Template, head: int, detail: int, n: int) -> list[Line]:
    salary = t.amount(head)
    tax = (salary * 35 + 50) // 100
    aga = employer_tax(salary)
    return [
        Line(5000, salary, salary, 0, Role.NONE, "WAGE", False),
        Line(5400, aga, aga, 0, Role.NONE, "WAGE", False),
        Line(2600, -tax, -tax, 0, Role.NONE, "WAGE", False),
        Line(1920, tax - salary, tax - salary, 0, Role.NONE, "WAGE", False),
        Line(2770, -aga, -aga, 0, Role.NONE, "WAGE", False),
    ]


def _journal(t: Template, head: int, detail: int, n: int) -> list[Line]:
    total = t.amount(head)
    debits = 1 + (detail >> 60) % (n - 1)
    numbers = [JOURNAL_ACCOUNTS[(detail >> (4 * i)) & 15] for i in range(n)]
    amounts = split(total, debits, detail >> 24) + [
        -p for p in split(total, n - debits, detail >> 8)
    ]
    return [_line(number, amount) for number, amount in zip(numbers, amounts, strict=True)]


#: kind, weight out of 256, sizes, amount range (kroner), voucher type, lines, debit rule, foreign
_TABLE = (
    (Kind.SALE, 50, (3, 3, 4, 6), (400, 120_000), 1, _sale, _with_vat, False),
    (Kind.CASH_SALE, 20, (3, 3, 3, 4), (40, 4_000), 2, _sale, _with_vat, False),
    (Kind.PURCHASE, 45, (3, 3, 4, 5), (150, 90_000), 3, _purchase, _with_vat, False),
    (Kind.FOREIGN_PURCHASE, 10, (2, 2, 2, 3), (800, 250_000), 3, _foreign_purchase, _plain, True),
    (Kind.FOREIGN_SALE, 8, (2, 2, 3, 3), (1_000, 300_000), 1, _foreign_sale, _plain, True),
    (
        Kind.CUSTOMER_PAYMENT,
        45,
        (2, 2, 2, 2),
        (500, 150_000),
        4,
        _transfer(1920, 1500),
        _plain,
        False,
    ),
    (
        Kind.SUPPLIER_PAYMENT,
        40,
        (2, 2, 2, 2),
        (200, 110_000),
        5,
        _transfer(2400, 1920),
        _plain,
        False,
    ),
    (Kind.SALARY, 6, (5, 5, 5, 5), (28_000, 95_000), 6, _salary, _with_employer_tax, False),
    (Kind.BANK_FEE, 14, (2, 2, 2, 2), (15, 650), 7, _transfer(7770, 1920), _plain, False),
    (Kind.RENT, 8, (2, 2, 2, 2), (4_000, 60_000), 7, _transfer(6300, 1920), _plain, False),
    (Kind.JOURNAL, 10, (2, 3, 4, 6), (1_000, 200_000), 8, _journal, _plain, False),
)
#: every account a generated voucher can post to (the others never move unless a test books there)
POSTED_ACCOUNTS = frozenset(
    COST_ACCOUNTS
    + JOURNAL_ACCOUNTS
    + (1500, 1920, 2400, 2600, 2700, 2710, 2770, 3000, 3200, 4300, 5000, 5400, 6300, 7500, 7770)
)
#: every template
TEMPLATES = tuple(
    Template(kind, weight, sizes, amount_table(*span), voucher_type, foreign, build, debit)
    for kind, weight, sizes, span, voucher_type, build, debit, foreign in _TABLE
)
#: the template for each value of a head's low byte
BY_LOW_BYTE: tuple[Template, ...] = tuple(t for t in TEMPLATES for _ in range(t.weight))
assert len(BY_LOW_BYTE) == 256, "template weights must sum to 256"
#: expected postings per voucher over the template mix
MEAN_POSTINGS = sum((Fraction(t.weight * sum(t.sizes), 4 * 256) for t in TEMPLATES), Fraction(0))


def template_of(head: int) -> Template:
    """The template a head word selects."""
    return BY_LOW_BYTE[head & 0xFF]
