"""The registers postings point to: departments, projects, products, employees, free dimensions,
and the customers and suppliers; plus which of them a posting carries (pure, deterministic)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sandbox.company import organization_number
from sandbox.journal import Party, Posting, all_parties
from sandbox.templates import Role

#: customers and a supplier a company has without a single posting (the last one inactive)
DORMANT_CUSTOMERS = ("Hovden Hytteutleie AS", "Vestkant Catering AS", "Fjordgløtt Galleri")
DORMANT_SUPPLIERS = ("Nordic Office Supply AS", "Gamle Sjøbuas Verksted")
#: (number, name, inactive) of the departments; the inactive one has no postings
DEPARTMENTS = (
    (1, "Administrasjon", False),
    (2, "Salg", False),
    (3, "Drift", False),
    (9, "Nedlagt avdeling", True),
)
#: (number, name, closed) of the projects; the closed one has no postings
PROJECTS = (
    ("P-101", "Nytt lokale", False),
    ("P-102", "Nettbutikk", False),
    ("P-103", "Messe Lillestrøm", False),
    ("P-104", "Kundereise", False),
    ("P-099", "Avsluttet pilot", True),
)
#: (number, name, inactive) of the products; the inactive one has no postings
PRODUCTS = (
    ("1001", "Konsulenttime", False),
    ("1002", "Serviceavtale", False),
    ("1003", "Montering", False),
    ("1004", "Reservedeler", False),
    ("1005", "Frakt", False),
    ("1006", "Opplæring", False),
    ("0999", "Utgått vare", True),
)
#: (first name, last name) of the employees; the last one has no postings
EMPLOYEES = (
    ("Kari", "Nordmann"),
    ("Ola", "Haugen"),
    ("Ingrid", "Solheim"),
    ("Per", "Lunde"),
    ("Siri", "Vik"),
)
#: the free dimensions: index, name, values (number, name); dimension 3 has no values
DIMENSIONS = (
    (1, "Region", (("R1", "Vestlandet"), ("R2", "Østlandet"), ("R3", "Nord-Norge"))),
    (2, "Salgskanal", (("K1", "Butikk"), ("K2", "Nett"))),
    (3, "Kampanje", ()),
)
#: voucher types whose result postings carry a project (sales and supplier invoices)
PROJECT_VOUCHER_TYPES = frozenset({1, 3})
#: accounts whose postings carry a product
PRODUCT_ACCOUNTS = frozenset({3000, 3100, 3200})


class Department(NamedTuple):
    """A department (avdeling)."""

    id: int
    number: str
    name: str
    inactive: bool


class Project(NamedTuple):
    """A project; `department` is its own department."""

    id: int
    number: str
    name: str
    closed: bool
    department: Department
    start: str


class Product(NamedTuple):
    """A product (vare)."""

    id: int
    number: str
    name: str
    inactive: bool


class DimensionName(NamedTuple):
    """A free accounting dimension (1-3)."""

    id: int
    dimension: int
    name: str


class DimensionValue(NamedTuple):
    """A value of a free accounting dimension."""

    id: int
    dimension: int
    number: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Registers:
    """One company's registers, in id order."""

    customers: tuple[Party, ...]
    suppliers: tuple[Party, ...]
    employees: tuple[dict[str, Any], ...]
    departments: tuple[Department, ...]
    projects: tuple[Project, ...]
    products: tuple[Product, ...]
    dimension_names: tuple[DimensionName, ...]
    dimension_values: tuple[DimensionValue, ...]


def _employee(company_id: int, i: int, first: str, last: str) -> dict[str, Any]:
    slug = f"{first}.{last}".lower().replace("ø", "o")
    return {
        "id": company_id * 1000 + 1 + i,
        "firstName": first,
        "lastName": last,
        "displayName": f"{first} {last}",
        "email": f"{slug}@firma{company_id}.no",
    }


@cache
def registers_for(company_id: int) -> Registers:
    """A company's registers (ids derived from the company id; customers and suppliers as the
    generator picks them, then those without postings)."""
    customers, suppliers, abroad = all_parties(company_id)
    base = company_id * 1000
    dormant_c = tuple(
        Party(base + 400 + i, name, Role.CUSTOMER) for i, name in enumerate(DORMANT_CUSTOMERS)
    )
    dormant_s = tuple(
        Party(base + 800 + i, name, Role.SUPPLIER) for i, name in enumerate(DORMANT_SUPPLIERS)
    )
    departments = tuple(
        Department(base + 10 + i, str(number), name, inactive)
        for i, (number, name, inactive) in enumerate(DEPARTMENTS)
    )
    projects = tuple(
        Project(base + 20 + i, number, name, closed, departments[i % 3], f"202{i % 3}-01-01")
        for i, (number, name, closed) in enumerate(PROJECTS)
    )
    products = tuple(
        Product(base + 40 + i, number, name, inactive)
        for i, (number, name, inactive) in enumerate(PRODUCTS)
    )
    names = tuple(DimensionName(base + 60 + index, index, name) for index, name, _ in DIMENSIONS)
    values = tuple(
        DimensionValue(base + 60 + index * 10 + i, index, number, name, i)
        for index, _, pairs in DIMENSIONS
        for i, (number, name) in enumerate(pairs)
    )
    abroad_s = tuple(p._replace(role=Role.SUPPLIER) for p in abroad)
    return Registers(
        tuple(sorted(customers + abroad + dormant_c)),
        tuple(sorted(suppliers + abroad_s + dormant_s)),
        tuple(_employee(company_id, i, *name) for i, name in enumerate(EMPLOYEES)),
        departments,
        projects,
        products,
        names,
        values,
    )


def is_foreign(party: Party) -> bool:
    """Foreign parties are both customer and supplier (one object, one id)."""
    return 900 <= party.id % 1000 < 1000


def is_inactive(party: Party) -> bool:
    """The last customer and the last supplier without postings are inactive."""
    rest = party.id % 1000
    return rest in (400 + len(DORMANT_CUSTOMERS) - 1, 800 + len(DORMANT_SUPPLIERS) - 1)


def party_number(party: Party, role: Role) -> int:
    """The customer number (10000...) or supplier number (50000...) of a party (0 when it is
    not that kind of party; sandbox choice)."""
    rest = party.id % 1000
    foreign = is_foreign(party)
    if role is Role.CUSTOMER:
        return 10_000 + rest if foreign or rest < 500 else 0
    return 50_000 + rest if foreign or rest >= 500 else 0


def party_organization_number(party: Party) -> str:
    """A Norwegian organization number for domestic parties; empty for foreign ones."""
    return "" if is_foreign(party) else organization_number(80_000_000 + party.id * 131 % 9_999_999)


def _mix(posting: Posting) -> int:
    """Bits that pick a posting's dimensions: the same for every posting of a voucher."""
    return (posting.voucher.id * 0x9E3779B97F4A7C15 >> 17) & 0xFFFFFFFF


def _company(posting: Posting) -> Registers:
    return registers_for(posting.account.id // 10_000)


def department_of(posting: Posting) -> Department | None:
    """Result postings (classes 3-8) carry one of the active departments."""
    if posting.account.number < 3000:
        return None
    return _company(posting).departments[_mix(posting) % 3]


def project_of(posting: Posting) -> Project | None:
    """Three in four result postings of sales and supplier invoices carry an open project."""
    bits = _mix(posting)
    if posting.account.number < 3000 or posting.voucher.type_id not in PROJECT_VOUCHER_TYPES:
        return None
    return None if bits >> 3 & 3 == 0 else _company(posting).projects[(bits >> 5) % 4]


def product_of(posting: Posting) -> Product | None:
    """Sales lines carry an active product (one per line)."""
    if posting.account.number not in PRODUCT_ACCOUNTS:
        return None
    return _company(posting).products[((_mix(posting) >> 8) + posting.row) % 6]


def employee_of(posting: Posting) -> dict[str, Any] | None:
    """Salary postings carry one of the first four employees."""
    if posting.type != "WAGE":
        return None
    return _company(posting).employees[(_mix(posting) >> 11) % 4]


def dimension_of(posting: Posting, index: int) -> DimensionValue | None:
    """Free dimension 1 on result postings, 2 on sales postings, 3 never."""
    number = posting.account.number
    if index == 3 or number < 3000 or (index == 2 and number >= 4000):
        return None
    values = values_of_dimension(posting.account.id // 10_000, index)
    return values[(_mix(posting) >> (13 + 2 * index)) % len(values)]


@cache
def values_of_dimension(company_id: int, index: int) -> tuple[DimensionValue, ...]:
    """The values of one free dimension of a company."""
    return tuple(v for v in registers_for(company_id).dimension_values if v.dimension == index)
