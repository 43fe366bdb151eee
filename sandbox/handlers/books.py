"""Account endpoints: the chart of accounts, the general ledger (`/ledger`) and annual accounts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from aiohttp import web

from sandbox import errors
from sandbox.auth import Area
from sandbox.balances import Sums
from sandbox.chart import CURRENCIES, Account, chart_for
from sandbox.envelope import single
from sandbox.handlers import context, guard, small_list, state_of
from sandbox.query import account_numbers, date_range, selection, unsupported
from sandbox.records import ANNUAL_ACCOUNT, BALANCE_SHEET_ACCOUNT, LEDGER_ACCOUNT
from sandbox.render import compile_selection, render_one
from sandbox.schemas import ACCOUNT

#: account filters the sandbox refuses rather than ignores
ACCOUNT_FILTERS = ("isApplicableForSupplierInvoice", "saftCode")
#: balance sheet filters the sandbox refuses rather than ignores
BALANCE_FILTERS = ("customerId", "employeeId", "departmentId", "projectId", "includeSubProjects")


def _matches(account: Account, query: Mapping[str, str]) -> bool:
    """Whether an account passes the id/number/flag/ledgerType filters."""
    lists = {"id": account.id, "number": account.number}
    for name, value in lists.items():
        wanted = query.get(name)
        if wanted and str(value) not in wanted.replace(" ", "").split(","):
            return False
    flags = {
        "isBankAccount": account.is_bank,
        "isBalanceAccount": account.is_balance,
        "isInactive": account.inactive,
    }
    for name, flag in flags.items():
        wanted = query.get(name)
        if wanted and (wanted.lower() == "true") != flag:
            return False
    ledger_type = query.get("ledgerType")
    return not ledger_type or ledger_type == account.ledger_type.value


async def accounts(request: web.Request) -> web.StreamResponse:
    """GET /ledger/account (no required parameters)."""
    principal = guard(request, Area.LEDGER)
    unsupported(request.query, ACCOUNT_FILTERS)
    chart = chart_for(principal.company.id).values()
    return small_list(request, ACCOUNT, [a for a in chart if _matches(a, request.query)])


async def account(request: web.Request) -> web.Response:
    """GET /ledger/account/{id}."""
    principal = guard(request, Area.LEDGER)
    wanted = int(request.match_info["id"])
    found = next((a for a in chart_for(principal.company.id).values() if a.id == wanted), None)
    if found is None:
        raise errors.not_found()
    chosen = selection(request.query, ACCOUNT)
    return single(render_one(compile_selection(ACCOUNT, chosen), found, context(request)))


async def general_ledger(request: web.Request) -> web.StreamResponse:
    """GET /ledger?dateFrom=&dateTo=: per account and currency, sums and balances."""
    principal = guard(request, Area.LEDGER)
    first, stop = date_range(request.query)
    balances = state_of(request).balances[principal.company.id]
    sums, opening = balances.between(first, stop), balances.opening(first)
    chart = chart_for(principal.company.id)
    rows = []
    for (number, currency_id), (amount, in_currency) in sorted(sums.items()):
        before, before_currency = opening.get((number, currency_id), (0, 0))
        rows.append(
            {
                "account": chart[number],
                "currency": CURRENCIES[currency_id],
                "sumAmount": amount,
                "sumAmountCurrency": in_currency,
                "openingBalance": before,
                "openingBalanceCurrency": before_currency,
                "closingBalance": before + amount,
                "closingBalanceCurrency": before_currency + in_currency,
            }
        )
    return small_list(request, LEDGER_ACCOUNT, rows)


def _by_account(sums: Sums) -> dict[int, int]:
    """Sums in NOK per account number (the currencies added up)."""
    found: dict[int, int] = {}
    for (number, _), (amount, _) in sums.items():
        found[number] = found.get(number, 0) + amount
    return found


async def balance_sheet(request: web.Request) -> web.StreamResponse:
    """GET /balanceSheet?dateFrom=&dateTo= (saldobalanse): per account, balance in, change and
    out in NOK. Listed: accounts with postings in the range or a balance (a sandbox choice; the
    spec does not say), and with includeActiveAccountsWithoutMovements=true every active one."""
    principal = guard(request, Area.LEDGER)
    unsupported(request.query, BALANCE_FILTERS)
    first, stop = date_range(request.query)
    low, high = account_numbers(request.query, to_inclusive=False) or (0, 1 << 62)
    balances = state_of(request).balances[principal.company.id]
    moved, opening = balances.between(first, stop), _by_account(balances.opening(first))
    change = _by_account(moved)
    every = request.query.get("includeActiveAccountsWithoutMovements", "").lower() == "true"
    start, end = date.fromordinal(first).isoformat(), date.fromordinal(stop).isoformat()
    rows = [
        {
            "account": account,
            "balanceIn": opening.get(number, 0),
            "balanceChange": change.get(number, 0),
            "balanceOut": opening.get(number, 0) + change.get(number, 0),
            "startDate": start,
            "endDate": end,
        }
        for number, account in chart_for(principal.company.id).items()
        if low <= number < high
        and (number in change or opening.get(number) or (every and not account.inactive))
    ]
    return small_list(request, BALANCE_SHEET_ACCOUNT, rows)


def _year(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if not text:
        return default
    if not text.isdigit():
        raise errors.invalid(name, f"{name} must be a year.", code=15000)
    return int(text)


async def annual_accounts(request: web.Request) -> web.StreamResponse:
    """GET /ledger/annualAccount?yearFrom=&yearTo= (yearTo exclusive; empty years included)."""
    principal = guard(request, Area.LEDGER)
    company = principal.company
    low, high = _year(request.query, "yearFrom", 0), _year(request.query, "yearTo", 10_000)
    rows = [
        {
            "id": company.id * 10_000 + year,
            "year": year,
            "start": f"{year}-01-01",
            "end": f"{year + 1}-01-01",
        }
        for year in company.years
        if low <= year < high
    ]
    return small_list(request, ANNUAL_ACCOUNT, rows)
