"""Reference data: a Norwegian chart of accounts (NS 4102 style), VAT types and currencies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class AccountType(StrEnum):
    """Tripletex's account types, derived from the account number's class."""

    ASSETS = "ASSETS"
    EQUITY = "EQUITY"
    LIABILITIES = "LIABILITIES"
    OPERATING_REVENUES = "OPERATING_REVENUES"
    OPERATING_EXPENSES = "OPERATING_EXPENSES"
    INVESTMENT_INCOME = "INVESTMENT_INCOME"
    COST_OF_CAPITAL = "COST_OF_CAPITAL"
    TAX_ON_ORDINARY_ACTIVITIES = "TAX_ON_ORDINARY_ACTIVITIES"


class LedgerType(StrEnum):
    """Which sub-ledger an account belongs to."""

    GENERAL = "GENERAL"
    CUSTOMER = "CUSTOMER"
    VENDOR = "VENDOR"


@dataclass(frozen=True, slots=True)
class VatType:
    """A VAT code (SAF-T standard tax code) with its rate in percent."""

    id: int
    number: str
    name: str
    percentage: int


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency with a deterministic daily rate (NOK per unit, in 1/10,000)."""

    id: int
    code: str
    description: str
    base_rate: int
    swing: int

    def rate(self, ordinal: int) -> int:
        """The NOK rate on a day, in 1/10,000 NOK per unit (varies smoothly, no floats)."""
        phase = (ordinal * 7) % 720
        wave = phase if phase < 360 else 720 - phase
        return self.base_rate + (wave - 180) * self.swing // 180


@dataclass(frozen=True, slots=True)
class Account:
    """One account of one company's chart (ids are unique across companies)."""

    id: int
    number: int
    name: str
    vat_type: VatType
    inactive: bool = False

    @property
    def type(self) -> AccountType:
        """The account type implied by the number (NS 4102 classes)."""
        return _account_type(self.number)

    @property
    def ledger_type(self) -> LedgerType:
        """Customer and vendor accounts are sub-ledgers; everything else is general."""
        if self.number == 1500:
            return LedgerType.CUSTOMER
        return LedgerType.VENDOR if self.number == 2400 else LedgerType.GENERAL

    @property
    def is_balance(self) -> bool:
        """Classes 1 and 2 are balance sheet accounts."""
        return self.number < 3000

    @property
    def is_bank(self) -> bool:
        """Bank deposit accounts (19xx but not cash)."""
        return 1920 <= self.number < 1960


#: (first number above the class, type of the class), in order
_CLASSES = (
    (2000, AccountType.ASSETS),
    (2100, AccountType.EQUITY),
    (3000, AccountType.LIABILITIES),
    (4000, AccountType.OPERATING_REVENUES),
    (8000, AccountType.OPERATING_EXPENSES),
    (8100, AccountType.INVESTMENT_INCOME),
    (8300, AccountType.COST_OF_CAPITAL),
)


def _account_type(number: int) -> AccountType:
    """Map an account number to its Tripletex account type."""
    found = next((kind for limit, kind in _CLASSES if number < limit), None)
    return found or AccountType.TAX_ON_ORDINARY_ACTIVITIES


VAT_NONE = VatType(0, "0", "Ingen avgiftsbehandling", 0)
VAT_INPUT = VatType(1, "1", "Fradrag inngående avgift, høy sats", 25)
VAT_OUTPUT = VatType(3, "3", "Utgående avgift, høy sats", 25)
VAT_EXEMPT = VatType(5, "5", "Ingen utgående avgift (innenfor mva-loven)", 0)
VAT_EXPORT = VatType(52, "52", "Utførsel av varer og tjenester", 0)
VAT_IMPORT = VatType(21, "21", "Kostnad ved innførsel av varer, høy sats", 25)
#: every VAT type the sandbox uses, by id
VAT_TYPES = {v.id: v for v in (VAT_NONE, VAT_INPUT, VAT_OUTPUT, VAT_EXEMPT, VAT_EXPORT, VAT_IMPORT)}

NOK = Currency(1, "NOK", "Norske kroner", 10_000, 0)
SEK = Currency(2, "SEK", "Svenske kroner", 9_850, 420)
USD = Currency(4, "USD", "Amerikanske dollar", 103_000, 6_500)
EUR = Currency(5, "EUR", "Euro", 114_500, 3_800)
#: currencies by id
CURRENCIES = {c.id: c for c in (NOK, SEK, USD, EUR)}
#: foreign currencies in the order voucher bits pick them
FOREIGN = (EUR, EUR, SEK, USD)

#: (number, name, default VAT type) of every account in the standard chart
CHART: tuple[tuple[int, str, VatType], ...] = (
    (1200, "Maskiner og anlegg", VAT_NONE),
    (1250, "Inventar", VAT_NONE),
    (1500, "Kundefordringer", VAT_NONE),
    (1700, "Forskuddsbetalt leiekostnad", VAT_NONE),
    (1900, "Kontanter", VAT_NONE),
    (1920, "Bankinnskudd", VAT_NONE),
    (1950, "Bankinnskudd for skattetrekk", VAT_NONE),
    (2000, "Aksjekapital", VAT_NONE),
    (2050, "Annen egenkapital", VAT_NONE),
    (2400, "Leverandørgjeld", VAT_NONE),
    (2600, "Forskuddstrekk", VAT_NONE),
    (2700, "Utgående merverdiavgift", VAT_NONE),
    (2710, "Inngående merverdiavgift", VAT_NONE),
    (2740, "Oppgjørskonto merverdiavgift", VAT_NONE),
    (2770, "Skyldig arbeidsgiveravgift", VAT_NONE),
    (2940, "Skyldige feriepenger", VAT_NONE),
    (2990, "Annen kortsiktig gjeld", VAT_NONE),
    (3000, "Salgsinntekt, avgiftspliktig", VAT_OUTPUT),
    (3100, "Salgsinntekt, avgiftsfri", VAT_EXEMPT),
    (3200, "Salgsinntekt, utførsel", VAT_EXPORT),
    (4000, "Varekjøp", VAT_INPUT),
    (4300, "Innkjøp av varer for videresalg, import", VAT_IMPORT),
    (4500, "Fremmedytelse og underentreprise", VAT_INPUT),
    (5000, "Lønn til ansatte", VAT_NONE),
    (5090, "Påløpne feriepenger", VAT_NONE),
    (5400, "Arbeidsgiveravgift", VAT_NONE),
    (6000, "Avskrivning på bygninger og annen fast eiendom", VAT_NONE),
    (6100, "Frakt og transportkostnader", VAT_INPUT),
    (6300, "Leie lokale", VAT_NONE),
    (6340, "Lys, varme", VAT_INPUT),
    (6540, "Inventar", VAT_INPUT),
    (6800, "Kontorrekvisita", VAT_INPUT),
    (6900, "Telefon", VAT_INPUT),
    (7000, "Drivstoff", VAT_INPUT),
    (7140, "Reisekostnad, ikke oppgavepliktig", VAT_NONE),
    (7320, "Reklamekostnad", VAT_INPUT),
    (7350, "Representasjon, fradragsberettiget", VAT_NONE),
    (7500, "Forsikringspremie", VAT_NONE),
    (7700, "Styre- og bedriftsforsamlingsmøter", VAT_NONE),
    (7770, "Bank- og kortgebyrer", VAT_NONE),
    (7790, "Annen kostnad, fradragsberettiget", VAT_NONE),
    (8050, "Renteinntekt fra bank", VAT_NONE),
    (8150, "Rentekostnad", VAT_NONE),
    (8160, "Valutatap (disagio)", VAT_NONE),
    (8300, "Betalbar skatt", VAT_NONE),
)
#: accounts a company has closed (isInactive): never posted to, listed all the same
INACTIVE: tuple[tuple[int, str, VatType], ...] = (
    (1230, "Personbiler", VAT_NONE),
    (6010, "Avskrivning på transportmidler", VAT_NONE),
    (7100, "Bilgodtgjørelse, oppgavepliktig", VAT_NONE),
)


def account_id(company_id: int, number: int) -> int:
    """The globally unique id of a company's account."""
    return company_id * 10_000 + number


@cache
def chart_for(company_id: int) -> dict[int, Account]:
    """A company's accounts by number (cached; accounts are immutable)."""
    accounts = [
        Account(account_id(company_id, number), number, name, vat) for number, name, vat in CHART
    ]
    accounts += [
        Account(account_id(company_id, number), number, name, vat, inactive=True)
        for number, name, vat in INACTIVE
    ]
    return {a.number: a for a in sorted(accounts, key=lambda a: a.number)}


def currency_by_code(code: str) -> Currency | None:
    """A currency the sandbox knows, by ISO code."""
    return next((c for c in CURRENCIES.values() if c.code == code), None)
