"""Database rows and Redis answers made into the UI's values (pure: no I/O)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from shared.checks import Check
from shared.freshness import short_mode
from shared.orgs import shown_fingerprint
from shared.status import ALIVE_WITHIN_S
from tui import pace
from tui.views import (
    CheckRunView,
    Company,
    Event,
    FileRow,
    Freshness,
    OrgDetail,
    OrgRow,
    Overview,
    Progress,
    QueueView,
    SystemView,
    WorkerView,
    YearRow,
    date_share,
)

Row = Mapping[str, Any]


def progress(row: Row) -> Progress:
    """A row's progress: postings held and expected, the current sync's rate (tui.pace) and
    work left, the share of dates done."""
    return Progress(
        row["expected"],
        row["imported"],
        pace.rate(row["weighted"], row["since_s"]),
        date_share(row["days_done"], row["days_total"]),
        row["kept"],
        pace.work_left(row["left_known"], row["days_left"], row["density_lo"], row["density_hi"]),
    )


def org_row(row: Row, *, public_url: bool = False) -> OrgRow:
    """An `orgs_overview` (or `org_overview`) row; `public_url`: webhooks are configured."""
    hooks = row.get("hooks_active")
    return OrgRow(
        id=row["id"],
        name=row["name"],
        method=row["method"],
        provider=row["provider"],
        company=row["company_name"],
        state=row["state"],
        reason=row["state_reason"],
        last_error=row["last_error"],
        progress=progress(row),
        chunks_failed=row["chunks_failed"],
        cancel_requested=row["cancel_requested"],
        file_read=row["file_read"],
        last_error_at=row["last_error_at"],
        updated_at=row["updated_at"],
        token_fingerprint=row["token_fingerprint"],
        fresh=None if hooks is None else short_mode(row["state"], row["method"], hooks, public_url),
    )


def overview(found: Sequence[Row], *, public_url: bool = False) -> Overview:
    """The home screen's data; its time is the database's (the first row's `at`)."""
    at = found[0]["at"] if found else dt.datetime.now(dt.UTC)
    return Overview(at, tuple(org_row(row, public_url=public_url) for row in found))


def system(workers: Sequence[Row], queues: Sequence[Row]) -> SystemView:
    """`shared.status.workers` and `queue_depths` as the header shows them."""
    return SystemView(
        tuple(WorkerView(w["id"], float(w["heartbeat_age_s"]), w.get("name")) for w in workers),
        tuple(QueueView(q["name"], q["depth"], q["delayed"], q["dead"]) for q in queues),
        ALIVE_WITHIN_S,
    )


def year_row(row: Row) -> YearRow:
    """A `years_progress` row."""
    return YearRow(
        year=row["year"],
        state=row["state"],
        progress=progress(row),
        chunks_total=row["chunks_total"],
        chunks_done=row["chunks_done"],
        chunks_failed=row["chunks_failed"],
        difference=row["difference"],
        covered_through=covered_through(row),
        listed=row["listed"],
        proven=row["proven"],
        proof_note=row["proof_note"],
    )


def covered_through(row: Row) -> dt.date | None:
    """The day before the first one not yet imported, while some are (a `years_progress` row)."""
    open_from = row["open_from"]
    return None if open_from is None else open_from - dt.timedelta(days=1)


def event(row: Row) -> Event:
    """An `audit_timeline` row."""
    return Event(
        at=row["at"],
        kind=row["kind"],
        actor=row["actor"],
        subject=row["subject"],
        note=row["note"],
        detail=dict(row["detail"] or {}),
    )


def file_row(row: Row) -> FileRow:
    """A `saft_imports_by_org` row."""
    return FileRow(
        row["id"],
        row["file_name"],
        row["state"],
        row["period_start"],
        row["period_end"],
        row["transactions_read"],
        row["postings_read"],
        row["total_debit"],
        row["total_credit"],
        row["bytes_read"],
        row["bytes_total"],
        row["error"],
    )


def freshness(kept: Mapping[str, Any]) -> Freshness:
    """`shared.freshness.freshness`'s answer, as the heading shows it."""
    change = kept["last_change"] or {}
    return Freshness(
        kept["mode"],
        kept["how"],
        kept["confirmed_at"],
        change.get("at"),
        change.get("source"),
        change.get("what"),
    )


def detail(
    org: Row,
    years: Sequence[Row],
    timeline: Sequence[Row],
    files: Sequence[Row] = (),
    kept: Freshness | None = None,
) -> OrgDetail:
    """One organization: its row, company, token fingerprint, years, timeline and files."""
    return OrgDetail(
        at=org["at"],
        row=org_row(org),
        company_id=org["company_id"],
        company_org_number=org["company_org_number"],
        token_hint=shown_fingerprint(org["token_fingerprint"]) if org["method"] == "api" else None,
        years=tuple(year_row(y) for y in years),
        timeline=tuple(event(e) for e in timeline),
        files=tuple(file_row(f) for f in files),
        freshness=kept,
    )


def company(item: Mapping[str, Any]) -> Company:
    """An item of `shared.orgs.companies`."""
    return Company(item["id"], item["name"], item["organizationNumber"], bool(item["own"]))


def check_run(row: Row) -> CheckRunView:
    """A `check_run_last` row."""
    results: list[dict[str, Any]] = row["results"]
    return CheckRunView(
        row["id"],
        row["ran_at"],
        row["triggered_by"],
        tuple(Check.from_json(item) for item in results),
    )
