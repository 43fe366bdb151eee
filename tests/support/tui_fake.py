"""An in-memory data source with fixed data and a fixed clock, for snapshots and UI unit tests.

It implements `tui.source.Source` and records every action asked of it in `actions`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from shared.checks import Check, CheckName, CheckStatus
from shared.errors import BadInput
from shared.jobs import Job, StuckChunk, is_permanent
from shared.ledger.reports import (
    Dimension,
    MonthTotal,
    PostingLine,
    TrialBalanceLine,
    TrialBalanceReport,
    Voucher,
)
from shared.orgs import CompanyChoice
from shared.traffic import Traffic, Window
from tui import fleet
from tui.views import (
    CheckRunView,
    Company,
    Event,
    FailuresView,
    FileRow,
    FleetView,
    OrgDetail,
    OrgRow,
    Overview,
    Progress,
    QueueView,
    SystemView,
    TrialBalanceView,
    WorkerView,
    YearRow,
)

#: the fixed "now" of every fake view
NOW = dt.datetime(2025, 3, 14, 13, 30, 0, tzinfo=dt.UTC)


def ago(seconds: float) -> dt.datetime:
    """A time `seconds` before NOW."""
    return NOW - dt.timedelta(seconds=seconds)


def _filled(row: OrgRow) -> OrgRow:
    """The row with what follows from it: when its error happened, its token's fingerprint, and
    (unless given) a last change a day ago."""
    error_at = ago(720) if row.last_error else None
    # 2 and 4 share an accountant's token
    token = "fp:k3q9-x2m7" if row.id in (2, 4) else f"fp:r8w{row.id}-p4td"
    return replace(
        row,
        last_error_at=error_at,
        updated_at=row.updated_at or ago(86_400),
        token_fingerprint=token if row.method == "api" else None,
    )


ORGS: tuple[OrgRow, ...] = tuple(
    _filled(row)
    for row in (
        OrgRow(
            1,
            "Bakeriet Brød AS",
            "api",
            "tripletex",
            "Bakeriet Brød AS",
            "synced",
            None,
            None,
            Progress(184_220, 184_220),
        ),
        OrgRow(
            2,
            "Tall og Tast Regnskap",
            "api",
            "tripletex",
            "Fjordline Transport AS",
            "syncing",
            None,
            None,
            Progress(412_000, 151_338, 152.0),
        ),
        OrgRow(
            3,
            "Nordlys Eiendom",
            "api",
            "tripletex",
            None,
            "choose_company",
            None,
            None,
            Progress(None, 0),
            updated_at=ago(12_000),
        ),
        OrgRow(
            4,
            "Havbris Sjømat AS",
            "api",
            "tripletex",
            "Havbris Sjømat AS",
            "needs_attention",
            "Tripletex rejected the employee token: it is expired or revoked; ask the customer "
            "for a new token shared with this application.",
            "401 Unauthorized",
            Progress(96_000, 40_212),
            chunks_failed=2,
            updated_at=ago(4_500),
        ),
        OrgRow(
            5,
            "Vestland Bygg",
            "api",
            "tripletex",
            "Vestland Bygg AS",
            "validating",
            None,
            None,
            Progress(None, 0),
        ),
        OrgRow(
            6,
            "Fjellstue Drift",
            "saft",
            None,
            None,
            "awaiting_file",
            None,
            None,
            Progress(None, 0),
            updated_at=ago(700),
        ),
        OrgRow(
            7,
            "Kystlinjen Rør",
            "api",
            "tripletex",
            "Kystlinjen Rør AS",
            "syncing",
            None,
            None,
            Progress(58_000, 57_100, 30.0),
        ),
        OrgRow(
            8,
            "Solsiden Kafé",
            "api",
            "tripletex",
            "Solsiden Kafé AS",
            "cancelled",
            None,
            None,
            Progress(22_000, 8_000),
        ),
    )
)

YEARS: tuple[YearRow, ...] = (
    YearRow(2025, "importing", Progress(38_000, 21_338, 152.0), 24, 13, 0),
    YearRow(2024, "importing", Progress(140_000, 90_000, 0.0), 36, 22, 1),
    YearRow(2023, "reconciling", Progress(122_000, 40_000), 30, 30, 0),
    YearRow(2022, "synced", Progress(112_000, 112_000), 28, 28, 0),
    YearRow(2021, "failed", Progress(0, 0), 12, 11, 1, "account 1920 differs by 1 200.00"),
)

TIMELINE: tuple[Event, ...] = (
    Event(
        ago(40),
        "chunk_failed",
        subject="2024-03-01 – 2024-04-01",
        note="Tripletex answered 500 Internal Server Error three times",
    ),
    Event(ago(95), "chunk_redelivered", subject="2025-02-01 – 2025-03-01", note="2"),
    Event(ago(300), "year_failed", subject="2021", note="account 1920 differs by 1 200.00"),
    Event(ago(900), "year_started", subject="2025", note="38000"),
    Event(
        ago(1_000), "action", actor="kari", subject="org.select_company", detail={"company_id": 202}
    ),
    Event(ago(1_100), "validated", note="3"),
    Event(
        ago(1_200),
        "action",
        actor="kari",
        subject="org.register",
        detail={"name": "Tall og Tast Regnskap", "method": "api"},
    ),
)

#: a SAF-T organization's files: one imported, one being read
FILES: tuple[FileRow, ...] = (
    FileRow(
        12,
        "fjellstue-2025.xml",
        "running",
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
        1_200,
        3_400,
        None,
        None,
        41_000_000,
        100_000_000,
    ),
    FileRow(
        11,
        "fjellstue-2024.xml",
        "done",
        dt.date(2024, 1, 1),
        dt.date(2024, 12, 31),
        9_812,
        31_077,
        Decimal("48210933.50"),
        Decimal("48210933.50"),
        88_000_000,
        88_000_000,
    ),
)

SAFT_YEARS = (YearRow(2024, "synced", Progress(31_077, 31_077), 1, 1, 0),)
SAFT_TIMELINE = (
    Event(ago(60), "year_synced", subject="2024"),
    Event(
        ago(4_000),
        "action",
        actor="kari",
        subject="org.register",
        detail={"name": "Fjellstue Drift", "method": "saft"},
    ),
)

COMPANIES: tuple[Company, ...] = (
    Company(201, "Tall og Tast Regnskap AS", "911 222 333", own=True),
    *(
        Company(300 + n, name, f"9{n:02d} 000 {n:03d}")
        for n, name in enumerate(
            [
                "Fjordline Transport AS",
                "Bakeriet Brød AS",
                "Havbris Sjømat AS",
                "Nordlys Eiendom AS",
                "Vestland Bygg AS",
                "Kystlinjen Rør AS",
                "Solsiden Kafé AS",
                "Fjellstue Drift AS",
                "Tindefjell Turisme AS",
                "Elvebredden Barnehage SA",
                "Grønnsaksgården DA",
                "Snøhvit Maskin AS",
            ]
        )
    ),
)


def _check(name: CheckName, status: CheckStatus, message: str, *help_: str) -> Check:
    return Check(name, status, message, help_)


CHECKS = CheckRunView(
    41,
    ago(120),
    "access_error",
    (
        _check(CheckName.API_SYNC, CheckStatus.PASS, "The organization synchronizes by API."),
        _check(CheckName.PROVIDER, CheckStatus.PASS, "The provider is Tripletex."),
        _check(CheckName.CONSUMER_TOKEN, CheckStatus.PASS, "The consumer token is configured."),
        _check(
            CheckName.TRIPLETEX_ANSWERS,
            CheckStatus.WARN,
            "Tripletex answered, but slowly (2,400 ms).",
        ),
        _check(CheckName.INTEGRATIONS_ADDON, CheckStatus.PASS, "The Integrations add-on is on."),
        _check(
            CheckName.EMPLOYEE_TOKEN,
            CheckStatus.FAIL,
            "Tripletex rejected the employee token: it is expired or revoked; ask the "
            "customer for a new token.",
            "Tripletex: Create an employee token",
        ),
        *(
            _check(name, CheckStatus.SKIP, "Skipped because “Employee token valid” failed.")
            for name in list(CheckName)[6:]
        ),
    ),
)

SYSTEM = SystemView(
    (
        WorkerView("0b4c2f1e-9d7a-4e51-8c3b-2a6f0e9d1c47", 1.2, "ledger-1 pid 4242 slot 1/2"),
        WorkerView("7e1d9a3c-52b8-4f06-a1e4-c9b07d2f6a18", 3.9, "ledger-1 pid 4243 slot 2/2"),
        WorkerView("c3a85f20-1b6e-4d97-9f2c-84e1d06b7a35", 812.0),
    ),
    (QueueView("chunks", 1_240, 12, 0), QueueView("onboarding", 2, 0, 1)),
)

JOBS: tuple[Job, ...] = (
    Job(
        901,
        "import_chunk",
        4,
        "Havbris Sjømat AS",
        2024,
        5521,
        "failed",
        6,
        "UpstreamError",
        "Tripletex answered 500 Internal Server Error",
        'Traceback (most recent call last):\n  File "worker/importer.py", line 160, in '
        "import_chunk\n    pages = await access.call(...)\nshared.errors.UpstreamError: "
        "Tripletex answered 500",
        "retries_exhausted",
        ago(600),
        ago(600),
        range="2024-05",
    ),
    Job(
        902,
        "reconcile_year",
        2,
        "Tall og Tast Regnskap",
        2021,
        None,
        "failed",
        1,
        "PermanentJobError",
        "account 1920 differs by 1 200.00",
        "Traceback …",
        "permanent",
        ago(300),
        ago(300),
    ),
    Job(
        903,
        "validate_token",
        5,
        "Vestland Bygg",
        None,
        None,
        "failed",
        6,
        "TimeoutError",
        "Tripletex did not answer within 60 s",
        "Traceback …",
        "retries_exhausted",
        ago(1800),
        ago(1800),
    ),
)

#: postings per minute over the last hour (`chunks_done_per_minute` rows): a sync that gathers speed
FLEET_MINUTES = tuple(
    {"ago": ago_, "postings": 2_000 + (59 - ago_) * 150 + (ago_ % 7) * 400} for ago_ in range(0, 40)
)
#: two tokens' requests per minute (a shared accountant's token near its limit, one calm)
_BUSY, _CALM = "a1b2c3d4e5f6", "0f1e2d3c4b5a"
FLEET_TRAFFIC = Traffic(
    int(NOW.timestamp() * 1000),
    tuple({_BUSY: 60 + (m % 9) * 4, _CALM: 10 + (m % 5) * 6} if m >= 20 else {} for m in range(60)),
    {_BUSY: 41},
    {2: _BUSY, 4: _BUSY, 7: _CALM},
    {_BUSY: Window(100, 87, int(NOW.timestamp() * 1000) + 20_000, 60_000)},
)

STUCK: tuple[StuckChunk, ...] = (
    StuckChunk(
        5530,
        2,
        "Tall og Tast Regnskap",
        2024,
        "running",
        dt.date(2024, 5, 1),
        dt.date(2024, 6, 1),
        3,
        2,
        ago(1_900),
    ),
)


def _tb(
    account: str, name: str, kind: str, *amounts: str, source: str | None = "same"
) -> TrialBalanceLine:
    opening, debit, credit = (Decimal(a) for a in amounts)
    closing = opening + debit - credit
    theirs = closing if source == "same" else None if source is None else Decimal(source)
    return TrialBalanceLine(
        account, name, kind, opening, debit, credit, closing, theirs, closing - (theirs or 0)
    )


#: the books every organization of the fake holds: 2024 proven, 2023 with one account differing
LEDGER: dict[int, tuple[TrialBalanceLine, ...]] = {
    2024: (
        _tb("1500", "Kundefordringer", "ASSETS", "48200.00", "612400.00", "598150.00"),
        _tb("1920", "Bankinnskudd", "ASSETS", "221430.55", "598150.00", "402260.40"),
        _tb("2050", "Annen egenkapital", "EQUITY", "-180000.00", "0.00", "0.00"),
        _tb("2400", "Leverandørgjeld", "LIABILITIES", "-31200.00", "310000.00", "322470.00"),
        _tb("2700", "Utgående merverdiavgift", "LIABILITIES", "-12000.00", "98400.00", "122480.00"),
        _tb("3000", "Salgsinntekt", "OPERATING_REVENUES", "0.00", "0.00", "489920.00"),
        _tb("4000", "Varekjøp", "OPERATING_EXPENSES", "0.00", "257976.00", "0.00"),
        _tb("6300", "Leie lokale", "OPERATING_EXPENSES", "0.00", "96000.00", "0.00"),
        _tb("7790", "Annen kostnad", "OPERATING_EXPENSES", "0.00", "0.00", "0.00", source=None),
    ),
    2023: (
        _tb("1500", "Kundefordringer", "ASSETS", "31000.00", "500200.00", "483000.00"),
        _tb(
            "1920",
            "Bankinnskudd",
            "ASSETS",
            "150000.00",
            "483000.00",
            "411569.45",
            source="220230.55",
        ),
        _tb("2050", "Annen egenkapital", "EQUITY", "-180000.00", "0.00", "0.00"),
        _tb("2400", "Leverandørgjeld", "LIABILITIES", "-25000.00", "290000.00", "296200.00"),
        _tb(
            "3000",
            "Salgsinntekt",
            "OPERATING_REVENUES",
            "0.00",
            "0.00",
            "401000.00",
            source="-401120.00",
        ),
        _tb("4000", "Varekjøp", "OPERATING_EXPENSES", "0.00", "212400.00", "0.00"),
    ),
}
#: when the fake's years were proven
LEDGER_CHECKED = ago(5_400)

MONTHS: tuple[MonthTotal, ...] = (
    MonthTotal(dt.date(2024, 1, 1), 14, Decimal("48210.00"), Decimal("31900.00")),
    MonthTotal(dt.date(2024, 2, 1), 11, Decimal("51980.00"), Decimal("60100.00")),
    MonthTotal(dt.date(2024, 3, 1), 3, Decimal("1250.00"), Decimal("1250.00")),
)

FAKTURA = (Dimension("customer", "Customer", "Kunde AS"), Dimension("project", "Project", "Nybygg"))
POSTINGS: tuple[PostingLine, ...] = (
    PostingLine(
        9001,
        dt.date(2024, 3, 5),
        "1500",
        "Kundefordringer",
        501,
        "1",
        "Faktura 1001",
        Decimal("1250.00"),
        FAKTURA[:1],
    ),
    PostingLine(
        9003,
        dt.date(2024, 3, 20),
        "1500",
        "Kundefordringer",
        502,
        "2",
        "Innbetaling 1001",
        Decimal("-1000.00"),
        FAKTURA[:1],
    ),
    PostingLine(
        9005,
        dt.date(2024, 3, 28),
        "1500",
        "Kundefordringer",
        503,
        "3",
        "Innbetaling 1001, rest",
        Decimal("-250.00"),
        FAKTURA[:1],
    ),
)
VOUCHER = Voucher(
    501,
    "1",
    2024,
    "Utgående faktura",
    "Faktura 1001",
    (
        POSTINGS[0],
        PostingLine(
            9002,
            dt.date(2024, 3, 5),
            "3000",
            "Salgsinntekt",
            501,
            "1",
            "Faktura 1001",
            Decimal("-1000.00"),
            (*FAKTURA, Dimension("department", "Department", "Salg")),
        ),
        PostingLine(
            9004,
            dt.date(2024, 3, 5),
            "2700",
            "Utgående merverdiavgift",
            501,
            "1",
            "Faktura 1001",
            Decimal("-250.00"),
        ),
    ),
)


class FakeSource:
    """Fixed organizations, years, timeline, checks and jobs; actions are recorded."""

    def __init__(
        self, orgs: Sequence[OrgRow] = ORGS, *, validation: str = "choose_company"
    ) -> None:
        self.orgs = list(orgs)
        self.validation = validation
        self.actions: list[tuple[object, ...]] = []
        self.choices: dict[int, CompanyChoice] = {}  #: what choosing a company would do
        self.jobs_failed = list(JOBS)
        self.system_view = SYSTEM
        self.app_name: str | None = "Ledgersync Onboarding"  #: what customers type for a token

    async def overview(self) -> Overview:
        return Overview(NOW, tuple(self.orgs))

    async def system(self) -> SystemView:
        return self.system_view

    async def fleet(self) -> FleetView:
        return fleet.build(Overview(NOW, tuple(self.orgs)), FLEET_MINUTES, FLEET_TRAFFIC)

    async def organization(self, org_id: int) -> OrgDetail | None:
        row = next((o for o in self.orgs if o.id == org_id), None)
        if row is None:
            return None
        hint = "fp:k3q9-x2m7" if row.method == "api" else None  # a SAF-T organization has no token
        if row.method == "saft":
            return OrgDetail(NOW, row, None, None, None, SAFT_YEARS, SAFT_TIMELINE, FILES)
        return OrgDetail(NOW, row, 302, "900 000 000", hint, YEARS, TIMELINE)

    async def companies(self, org_id: int) -> Sequence[Company]:
        return COMPANIES

    async def last_checks(self, org_id: int) -> CheckRunView | None:
        return CHECKS

    def _known(self, org_id: int) -> None:
        """BadInput for an organization removed meanwhile, as the real source says it."""
        if all(o.id != org_id for o in self.orgs):
            raise BadInput(f"No organization has id #{org_id}; `ledgersync org list` shows them.")

    async def run_checks(self, org_id: int) -> CheckRunView:
        self._known(org_id)
        self.actions.append(("run_checks", org_id))
        return replace(CHECKS, id=CHECKS.id + 1, triggered_by="tui")

    async def application_name(self) -> str | None:
        return self.app_name

    async def trial_balance(self, org_id: int, year: int | None) -> TrialBalanceView | None:
        row = next((o for o in self.orgs if o.id == org_id), None)
        if row is None:
            return None
        years = tuple(sorted(LEDGER, reverse=True))
        chosen = year if year in LEDGER else years[0]
        lines = LEDGER[chosen]
        proven = all(line.agrees for line in lines)
        report = TrialBalanceReport(
            org_id, row.name, row.method, chosen, proven, LEDGER_CHECKED, lines
        )
        return TrialBalanceView(NOW, years, report)

    async def account_months(self, org_id: int, account: str, year: int) -> tuple[MonthTotal, ...]:
        return tuple(replace(m, month=m.month.replace(year=year)) for m in MONTHS)

    async def account_postings(
        self, org_id: int, account: str, month: dt.date
    ) -> tuple[PostingLine, ...]:
        self.actions.append(("account_postings", org_id, account, month))
        return tuple(replace(p, account=account) for p in POSTINGS) if month.month == 3 else ()

    async def voucher(self, org_id: int, voucher_id: int) -> Voucher | None:
        return VOUCHER if voucher_id == VOUCHER.voucher_id else None

    async def register(
        self, *, name: str, method: str, provider: str | None, token: str | None
    ) -> int:
        self.actions.append(("register", name, method, provider, token))
        org_id = max(o.id for o in self.orgs) + 1
        state = self.validation if method == "api" else "awaiting_file"
        self.orgs.append(
            OrgRow(org_id, name, method, provider, None, state, None, None, Progress(None, 0))
        )
        return org_id

    async def company_choice(self, org_id: int, company_id: int) -> CompanyChoice:
        org = next((o.name for o in self.orgs if o.id == org_id), "?")
        company = next((c.name for c in COMPANIES if c.id == company_id), "?")
        plain = CompanyChoice(f"{org} (#{org_id})", f"{company} ({company_id})", None, 0, ())
        return self.choices.get(company_id) or plain

    async def select_company(
        self, org_id: int, company_id: int, *, replace: bool = False, allow_duplicate: bool = False
    ) -> None:
        if replace or allow_duplicate:
            self.actions.append(("select_company", org_id, company_id, replace, allow_duplicate))
        else:
            self.actions.append(("select_company", org_id, company_id))

    async def replace_token(self, org_id: int, token: str) -> None:
        self.actions.append(("replace_token", org_id, token))

    async def resync(self, org_id: int, year: int | None) -> None:
        self._known(org_id)
        self.actions.append(("resync", org_id, year))

    async def cancel(self, org_id: int) -> None:
        self.actions.append(("cancel", org_id))

    async def resume(self, org_id: int) -> None:
        self.actions.append(("resume", org_id))

    async def remove(self, org_id: int) -> None:
        self.actions.append(("remove", org_id))
        self.orgs = [o for o in self.orgs if o.id != org_id]

    async def import_saft(self, org_id: int, path: Path) -> int:
        self.actions.append(("import_saft", org_id, str(path)))
        if not path.name.endswith(".xml"):
            raise BadInput(f"{path.name} is not XML; export the SAF-T Financial file again.")
        return 77

    async def failures(self, *, state: str | None, org_id: int | None) -> FailuresView:
        jobs = [j for j in self.jobs_failed if org_id is None or j.org_id == org_id]
        return FailuresView(NOW, tuple(j for j in jobs if state in (None, j.state)), STUCK)

    async def retry_jobs(
        self, job_ids: Sequence[int] | None, *, org_id: int | None, include_permanent: bool = False
    ) -> list[int]:
        if org_id is not None:
            self._known(org_id)
        failed = (await self.failures(state="failed", org_id=org_id)).jobs
        chosen = [
            j.id for j in failed if job_ids is not None or include_permanent or not is_permanent(j)
        ]
        retried = chosen if job_ids is None else [i for i in job_ids if i in chosen]
        self.actions.append(("retry_jobs", tuple(retried)))
        self.jobs_failed = [j for j in self.jobs_failed if j.id not in retried]
        return retried

    async def close(self) -> None:
        return None
