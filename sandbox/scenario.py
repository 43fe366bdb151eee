"""Scenarios: which companies and tokens exist (`demo`, `small`, `bench`, `bigday`), from name
and seed."""

from __future__ import annotations

import inspect
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date

from sandbox.company import Company, CompanyType, organization_number
from sandbox.tokens import (
    ConsumerToken,
    EmployeeToken,
    TokenCase,
    TokenKind,
    consumer_token,
    employee_token,
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything the sandbox serves, before any run-time change."""

    name: str
    seed: int
    consumer: ConsumerToken
    tokens: tuple[EmployeeToken, ...]
    companies: tuple[Company, ...]

    def company(self, company_id: int) -> Company | None:
        """A company by id."""
        return next((c for c in self.companies if c.id == company_id), None)

    def token(self, label: str) -> EmployeeToken:
        """An employee token by label (KeyError when unknown)."""
        found = next((t for t in self.tokens if t.label == label), None)
        if found is None:
            raise KeyError(label)
        return found

    def token_by_value(self, value: str) -> EmployeeToken | None:
        """The employee token with this string, if any."""
        return next((t for t in self.tokens if t.value == value), None)

    def reached_by(self, company_id: int) -> list[str]:
        """Labels of the tokens that can read the company's ledger."""
        return [t.label for t in self.tokens if company_id in t.readable]


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.replace("ø", "o").replace("æ", "ae"))
    return "".join(ch for ch in plain.lower() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class Profile:
    """What a scenario says of a company besides its name and yearly postings: its legal form,
    whether it keeps others' books, and how its postings fall (busy months, big days, the weight
    of each month, the balances it opens with); see `Company`."""

    busy: tuple[tuple[int, int, int], ...] = ()
    kind: CompanyType = CompanyType.AS
    accountant: bool = False
    big_days: tuple[tuple[int, int], ...] = ()
    season: tuple[int, ...] | None = None
    opening: tuple[tuple[int, int], ...] = ()


#: the profiles most scenario companies differ by: an accounting firm, the other legal forms
_FIRM = Profile(accountant=True)
_SA = Profile(kind=CompanyType.SA)
_ENK = Profile(kind=CompanyType.ENK)


def company(
    slot: int, company_id: int, name: str, postings: dict[int, int], profile: Profile = Profile()
) -> Company:
    """A company with a valid organisation number and e-mail derived from its id and name."""
    number = organization_number(91_000_000 + company_id * 7_919 % 8_000_000)
    email = f"post@{_slug(name.removesuffix(' ' + profile.kind.value))}.no"
    return Company(
        company_id,
        slot,
        name,
        number,
        tuple(sorted(postings.items())),
        profile.busy,
        profile.kind,
        profile.accountant,
        email,
        profile.big_days,
        profile.season,
        profile.opening,
    )


@dataclass(frozen=True, slots=True)
class Cast:
    """Company ids playing each role: own company, accounting firm and clients, broken tokens."""

    own: int
    firm: int
    clients: tuple[int, ...]
    no_ledger: int
    integrations_off: int
    not_shared: int
    expired: int


def tokens(seed: int, cast: Cast) -> tuple[EmployeeToken, ...]:
    """One employee token per troubleshooting case."""
    cases = (
        TokenCase("good", TokenKind.GOOD, cast.own),
        TokenCase("accountant", TokenKind.ACCOUNTANT, cast.firm, cast.clients),
        TokenCase("integrations_off", TokenKind.INTEGRATIONS_OFF, cast.integrations_off),
        TokenCase("not_shared", TokenKind.NOT_SHARED, cast.not_shared),
        TokenCase("no_ledger_access", TokenKind.NO_LEDGER_ACCESS, cast.no_ledger),
        TokenCase("expired", TokenKind.EXPIRED, cast.expired),
    )
    return tuple(employee_token(seed, number, case) for number, case in enumerate(cases, 1))


#: balances a company brings from the years before the first one held (øre; 2050 balances them)
CARRIED = (
    (1200, 25_000_000),
    (1250, 4_875_000),
    (1500, 6_125_050),
    (1920, 18_431_250),
    (2000, -10_000_000),
    (2400, -4_870_000),
    (2600, -1_215_400),
    (2740, -937_525),
    (2940, -2_410_000),
)
#: the opening balances of a company that did not start in its first year held
OPENING = (*CARRIED, (2050, -sum(amount for _, amount in CARRIED)))


def _years(first: int, volumes: list[int]) -> dict[int, int]:
    return {first + i: volume for i, volume in enumerate(volumes)}


def demo(seed: int) -> Scenario:
    """A lively set: a café, a ten-year builder, an accounting firm with clients, broken tokens."""
    companies = (
        company(
            1,
            101,
            "Fjordlys Kaffebar AS",
            _years(2021, [4_000, 5_500, 6_500, 7_000, 7_500]),
            Profile(opening=OPENING),
        ),
        company(
            2,
            102,
            "Nordvik Bygg og Anlegg AS",
            _years(
                2016, [8_000, 12_000, 15_000, 18_000, 0, 16_000, 20_000, 24_000, 26_000, 28_000]
            ),
            Profile(busy=((2024, 11, 12_500),)),
        ),
        company(3, 103, "Tall og Tast Regnskap AS", _years(2023, [1_200] * 3), _FIRM),
        company(4, 104, "Havbris Fiskeutstyr AS", _years(2019, [9_000] * 7)),
        company(5, 105, "Solberg Tannklinikk AS", _years(2022, [3_000] * 4)),
        company(6, 106, "Lyngheia Barnehage SA", _years(2024, [2_000] * 2), _SA),
        company(7, 107, "Østre Sykkelverksted ENK", _years(2023, [1_500] * 3), _ENK),
    )
    cast = Cast(101, 103, (102, 104, 105), 106, 107, not_shared=104, expired=105)
    return Scenario("demo", seed, consumer_token(seed), tokens(seed, cast), companies)


def small(seed: int) -> Scenario:
    """Every feature with few postings (about 23,000): for tests that page everything."""
    companies = (
        company(
            1,
            201,
            "Fjordlys Kaffebar AS",
            _years(2022, [1_200, 1_500, 1_800]),
            Profile(opening=OPENING),
        ),
        company(
            2,
            202,
            "Nordvik Bygg AS",
            _years(2019, [900, 1_100, 0, 1_300, 1_500]),
            Profile(busy=((2023, 3, 11_000),)),
        ),
        company(3, 203, "Tall og Tast Regnskap AS", {2024: 400}, _FIRM),
        company(4, 204, "Havbris Fiskeutstyr AS", {2023: 700, 2024: 800}),
        company(5, 205, "Solberg Tannklinikk AS", {2024: 600}),
        company(6, 206, "Lyngheia Barnehage SA", {2024: 300}, _SA),
        company(7, 207, "Østre Sykkelverksted ENK", {2024: 300}, _ENK),
    )
    cast = Cast(201, 203, (202, 204, 205), 206, 207, not_shared=204, expired=205)
    return Scenario("small", seed, consumer_token(seed), tokens(seed, cast), companies)


#: first and second halves of bench company names
_BENCH_NAMES = (
    ("Fjell", "Fjord", "Skog", "Elv", "Myr", "Berg", "Vik", "Lia"),
    ("handel", "bygg", "data", "transport", "mat", "regnskap", "eiendom", "helse"),
)


#: the bench's months January..December: seasonal, December (the year-end) about 3× July
BENCH_SEASON = (75, 80, 115, 100, 110, 125, 60, 95, 125, 135, 150, 175)
#: the most postings a big day may hold (its vouchers must stay below MAX_VOUCHERS_PER_DAY)
MAX_BIG_DAY = 100_000


def _big_day(year: int, postings: int) -> tuple[tuple[int, int], ...]:
    """A big day on 31 December (a year-end closing), or none for 0 postings."""
    if not 0 <= postings <= MAX_BIG_DAY:
        raise ValueError(f"big_day must be between 0 and {MAX_BIG_DAY:,} postings")
    return ((date(year, 12, 31).toordinal(), postings),) if postings else ()


@dataclass(frozen=True, slots=True)
class BenchSize:
    """How big `bench` is: `companies` clients of one accounting firm, each with about `postings`
    over `years` from `first_year`, plus `big_day` postings on 31 December of the newest year (0:
    no big day)."""

    companies: int = 1
    postings: int = 1_000_000
    years: int = 10
    first_year: int = 2016
    big_day: int = 0


def bench(seed: int, size: BenchSize = BenchSize()) -> Scenario:
    """Clients of one accounting firm in seasonal months, as many and as big as `size` says."""
    companies, postings, years = size.companies, size.postings, size.years
    first_year, big_day = size.first_year, size.big_day
    if companies < 1 or postings < 0 or years < 1:
        raise ValueError("bench needs companies >= 1, postings >= 0 and years >= 1")
    per_year = postings // years
    last_year = first_year + years - 1
    big_days = _big_day(last_year, big_day)
    clients = tuple(
        company(
            i + 1,
            1_001 + i,
            f"{_BENCH_NAMES[0][i % 8]}{_BENCH_NAMES[1][i // 8 % 8]} {i + 1:03d} AS",
            _years(first_year, [per_year] * years),
            Profile(big_days=big_days, season=BENCH_SEASON),
        )
        for i in range(companies)
    )
    extra = (
        company(companies + 1, 900, "Tall og Tast Regnskap AS", {last_year: 400}, _FIRM),
        company(companies + 2, 901, "Lyngheia Barnehage SA", {last_year: 300}),
        company(companies + 3, 902, "Østre Sykkelverksted ENK", {last_year: 300}),
    )
    ids = tuple(c.id for c in clients)
    cast = Cast(ids[0], 900, ids, 901, 902, not_shared=ids[0], expired=ids[0])
    return Scenario("bench", seed, consumer_token(seed), tokens(seed, cast), clients + extra)


def bigday(seed: int, big_day: int = 10_500) -> Scenario:
    """One company of a few thousand postings over two years and a year-end closing of `big_day`
    postings on 31 December 2025: a day above the 10,000 cap, split only by account number."""
    companies = (
        company(
            1,
            301,
            "Vinterlys Eiendom AS",
            _years(2024, [1_800, 2_200]),
            Profile(big_days=_big_day(2025, big_day)),
        ),
        company(2, 302, "Tall og Tast Regnskap AS", {2025: 300}, _FIRM),
        company(3, 303, "Lyngheia Barnehage SA", {2025: 200}, _SA),
        company(4, 304, "Østre Sykkelverksted ENK", {2025: 200}, _ENK),
    )
    cast = Cast(301, 302, (301,), 303, 304, not_shared=301, expired=301)
    return Scenario("bigday", seed, consumer_token(seed), tokens(seed, cast), companies)


def _bench(seed: int, **sizes: int) -> Scenario:
    """`bench` with its sizes as keywords, as `build_scenario` passes them."""
    return bench(seed, BenchSize(**sizes))


#: scenario factories by name; keyword arguments after `seed` are the sizes
SCENARIOS: dict[str, Callable[..., Scenario]] = {
    "demo": demo,
    "small": small,
    "bench": _bench,
    "bigday": bigday,
}


def _sizes(factory: Callable[..., Scenario]) -> list[str]:
    """The sizes a factory takes: its keywords after `seed` (bench's: the fields of BenchSize)."""
    if factory is _bench:
        return [f.name for f in fields(BenchSize)]
    return list(inspect.signature(factory).parameters)[1:]


def build_scenario(name: str = "demo", seed: int = 1, **sizes: int) -> Scenario:
    """Build a scenario by name; raises ValueError for an unknown name or size."""
    factory = SCENARIOS.get(name)
    if factory is None:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    accepted = _sizes(factory)
    unknown = sorted(set(sizes) - set(accepted))
    if unknown:
        allowed = ", ".join(accepted) or "none"
        raise ValueError(f"scenario {name!r} has no size {', '.join(unknown)} (sizes: {allowed})")
    return factory(seed, **sizes)
