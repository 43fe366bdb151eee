"""The truth about a scenario in the contract's `sandbox --describe` format."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.ledger import Ledger
from sandbox.scenario import Scenario


def decimal_text(ore: int) -> str:
    """Øre as a decimal string with two places ("-123.40")."""
    return str(Decimal(ore).scaleb(-2).quantize(Decimal("0.01")))


def describe(scenario: Scenario, ledgers: Mapping[int, Ledger] | None = None) -> dict[str, Any]:
    """Consumer token, tokens by label, and per company its years' count, debit and credit.

    Without `ledgers` this is the generated data; with them, the data as changed at run time.
    """
    companies = []
    for company in scenario.companies:
        ledger = (ledgers or {}).get(company.id) or Ledger(company, scenario.seed)
        years = {}
        for year in company.years:
            totals = ledger.year_totals(year)
            years[str(year)] = {
                "count": totals.postings,
                "debit": decimal_text(totals.debit),
                "credit": decimal_text(totals.credit),
            }
        companies.append(
            {
                "id": company.id,
                "name": company.name,
                "organizationNumber": company.organization_number,
                "reached_by": scenario.reached_by(company.id),
                "years": years,
            }
        )
    return {
        "consumer_token": scenario.consumer.value,
        "tokens": {t.label: t.value for t in scenario.tokens},
        "companies": companies,
    }
