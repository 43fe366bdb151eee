"""A timeline event told in one line (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace

from shared.checks import TITLES
from tui import format as fmt
from tui.views import Event

#: what each audited action says, given its detail
ACTIONS: dict[str, Callable[[dict[str, object]], str]] = {
    "org.register": lambda d: f"Registered ({d.get('method', '?')})",
    "org.select_company": lambda d: f"Chose company {_company(d)}; first sync started",
    "org.replace_token": lambda d: (
        f"Replaced the employee token{_fingerprints(d)}; validating again"
    ),
    "org.recovered": lambda d: f"Synced again: cleared the error{_since(d)}: {d.get('error')}",
    "org.sync": lambda d: f"Asked to synchronize {_year(d.get('year'))} again",
    "org.cancel": lambda d: (
        f"Cancelled the sync ({d.get('running_chunks', 0)} chunks left running)"
    ),
    "org.resume": lambda d: "Resumed the synchronization",
    "org.check": lambda d: "Ran the troubleshooting checks",
    "org.remove": lambda d: "Removed the organization",
    "job.retry": lambda d: f"Retried failed job #{d.get('job_id')} ({d.get('actor')})",
    "saft.submit": lambda d: f"Submitted the SAF-T file {d.get('file', '')}".rstrip(),
    "saft.import": lambda d: f"SAF-T import #{d.get('import_id')} stored its postings",
}


def _postings(note: str | None) -> str:
    return f"{fmt.count(int(note))} postings" if note and note.isdigit() else "done"


def _company(detail: dict[str, object]) -> str:
    """`Name (#id)`, or `#id` where the audit line has no name (lines written before it had)."""
    name, company_id = detail.get("company_name"), detail.get("company_id")
    return f"{name} (#{company_id})" if name else f"#{company_id}"


def _fingerprints(detail: dict[str, object]) -> str:
    """` fp:old → fp:new` (what an audit line written before fingerprints lacks is left out)."""
    new, old = detail.get("fingerprint"), detail.get("previous_fingerprint")
    if not new:
        return ""
    return f" {old} → {new}" if old else f" (now {new})"


def _since(detail: dict[str, object]) -> str:
    """` of 06 Dec 14:02:11` (local time): when the cleared error happened, if known."""
    at = detail.get("error_at")
    if not isinstance(at, str):
        return ""
    return f" of {dt.datetime.fromisoformat(at).astimezone().strftime('%d %b %H:%M:%S')}"


def _year(year: object) -> str:
    return "every year" if year is None else f"year {year}"


def _checks(event: Event) -> str:
    trigger = {"access_error": "after an access error", "tui": "from the UI"}.get(
        event.actor or "", f"by `{event.actor}`"
    )
    if event.subject is None:
        return f"Checks ran {trigger}: nothing failed"
    failed = {name.value: title for name, title in TITLES.items()}.get(event.subject)
    return f"Checks ran {trigger}: “{failed or event.subject}” failed"


def _year_started(event: Event) -> str:
    expected = f", {fmt.count(int(event.note))} postings expected" if event.note else ""
    return f"Year {event.subject} import started{expected}"


def _validated(event: Event) -> str:
    return f"Token validated; {event.note} compan{'y' if event.note == '1' else 'ies'} found"


def _action(event: Event) -> str:
    told = ACTIONS.get(event.subject or "")
    return told(event.detail) if told else f"{event.subject} {event.detail or ''}".strip()


def _redelivered(event: Event) -> str:
    """A chunk, or a run of them (`condense`), run again after a worker stopped or a retry."""
    chunks, most = int(event.detail.get("chunks", 1)), event.detail.get("most", event.note)
    why = "a worker stopped or Tripletex failed, so it was taken up again"
    if chunks == 1:
        return f"Chunk {event.subject} ran again ({_nth(most)} delivery): {why}"
    return (
        f"{chunks} chunks ran again, up to the {_nth(most)} delivery ({event.subject} and "
        f"{chunks - 1} more): {why}"
    )


def _nth(value: object) -> str:
    number = int(str(value)) if str(value).isdigit() else 0
    if number <= 0:
        return "another"
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


#: how each kind of event reads
TELLERS: dict[str, Callable[[Event], str]] = {
    "action": _action,
    "validated": _validated,
    "checks": _checks,
    "year_started": _year_started,
    "year_synced": lambda e: f"Year {e.subject} reconciled with Tripletex: synced",
    "year_failed": lambda e: f"Year {e.subject} did not reconcile: {e.note or 'see the checks'}",
    "chunk_failed": lambda e: f"Chunk {e.subject} failed: {e.note}",
    "chunk_redelivered": _redelivered,
    "job_failed": lambda e: f"Job {e.actor} #{e.detail.get('job_id')} failed: {e.note}",
    "job_retrying": lambda e: f"Job {e.actor} #{e.detail.get('job_id')} retrying after: {e.note}",
    "saft_queued": lambda e: f"SAF-T file {e.subject} queued for import",
    "saft_running": lambda e: f"SAF-T file {e.subject} importing",
    "saft_done": lambda e: f"SAF-T file {e.subject} imported: {_postings(e.note)}",
    "saft_invalid": lambda e: f"SAF-T file {e.subject} refused: {e.note}",
    "saft_failed": lambda e: f"SAF-T file {e.subject} failed: {e.note}",
}


#: how events read for an organization that delivers SAF-T files (no API wording)
FILE_TELLERS: dict[str, Callable[[Event], str]] = {
    "year_synced": lambda e: f"Year {e.subject} stored from the SAF-T file: matches its totals",
    "year_failed": lambda e: f"Year {e.subject} was not stored: {e.note or 'see the checks'}",
}


def tell(event: Event, method: str = "api") -> str:
    """The event's line in the timeline of an organization of this method."""
    teller = (FILE_TELLERS.get(event.kind) if method == "saft" else None) or TELLERS.get(event.kind)
    if teller is None:  # a kind this UI does not know yet still reads as words
        words = event.kind.replace("_", " ").capitalize()
        return " ".join(part for part in (words, event.subject, event.note) if part)
    return teller(event)


def condense(events: Sequence[Event]) -> tuple[Event, ...]:
    """The timeline without repeats (events newest first, as read).

    The same event twice is shown once; a run of chunks delivered again is one line; a chunk
    import's failed job is left out where the chunk's own failure already says the same.
    """
    chunk_errors = {e.note for e in events if e.kind == "chunk_failed"}
    kept: list[Event] = []
    seen: set[tuple[object, ...]] = set()
    for event in events:
        key = (event.at, event.kind, event.actor, event.subject, event.note)
        if key in seen:
            continue
        seen.add(key)
        if (
            event.kind == "job_failed"
            and event.actor == "import_chunk"
            and event.note in chunk_errors
        ):
            continue
        if event.kind == "chunk_redelivered" and kept and kept[-1].kind == "chunk_redelivered":
            kept[-1] = _one_more(kept[-1], event)
            continue
        kept.append(event)
    return tuple(kept)


def _one_more(run: Event, event: Event) -> Event:
    """A run of redelivered chunks with one more (the run keeps its newest time)."""
    chunks = int(run.detail.get("chunks", 1)) + 1
    most = max(int(str(run.detail.get("most", run.note or 0))), int(event.note or 0))
    return replace(run, subject=event.subject, detail={"chunks": chunks, "most": most})


def looks(event: Event) -> str:
    """How the event looks: bad, ok, busy or muted (a component class suffix)."""
    if event.kind in (
        "chunk_failed",
        "year_failed",
        "job_failed",
        "saft_invalid",
        "saft_failed",
    ) or (event.kind == "checks" and event.subject is not None):
        return "bad"
    if event.kind in ("year_synced", "validated", "saft_done") or event.kind == "checks":
        return "ok"
    if event.kind == "action" and event.subject == "org.recovered":
        return "ok"
    if event.kind in ("chunk_redelivered", "job_retrying"):
        return "wait"
    return "busy" if event.kind == "action" else "muted"
