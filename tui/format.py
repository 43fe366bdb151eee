"""How numbers, durations, progress and times read on screen (pure functions, no styles)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from shared.models import OrgState, YearState
from shared.orgs import CompanyChoice
from tui.views import OrgRow, Progress

#: the bar's cells: done and to do
BAR_DONE, BAR_TODO = "━", "━"
#: states whose progress is complete whatever the estimate said
COMPLETE_STATES = frozenset({OrgState.SYNCED.value, YearState.SYNCED.value})


def count(n: int | None) -> str:
    """A count with thousands separated by thin spaces; `?` when unknown."""
    return "?" if n is None else f"{n:,}".replace(",", "\u2009")


def fraction(progress: Progress, state: str) -> float | None:
    """How far along, 0 to 1: postings this sync imported of the last import's count where there
    was one, else the share of the dates imported; None when nothing is planned yet (never a
    made-up figure)."""
    if state in COMPLETE_STATES:
        return 1.0
    if progress.expected:
        return min(1.0, progress.done / progress.expected)
    return progress.share


def org_fraction(row: OrgRow) -> float | None:
    """An organization's progress: postings, or the share read of a SAF-T file it imports."""
    if row.file_read is not None and row.state not in COMPLETE_STATES:
        return row.file_read
    return fraction(row.progress, row.state)


def bar(done: float | None, width: int) -> tuple[str, str, str]:
    """A progress bar `width` cells wide: (done part, to-do part, percentage label)."""
    if done is None:
        return "", BAR_TODO * width, "  –"
    cells = round(done * width)
    if done < 1.0:
        cells = min(cells, width - 1)
    return BAR_DONE * cells, BAR_TODO * (width - cells), f"{int(done * 100):>3}%"


def postings(progress: Progress) -> str:
    """Held / expected (a re-sync holds the last import's until it redoes them); held alone
    where no count is known yet."""
    if progress.expected is None:
        return count(progress.imported)
    return f"{count(progress.imported)} / {count(progress.expected)}"


def through(day: dt.date | None, state: str) -> str:
    """How far a year's dates are imported while it imports: `through 14 Aug`."""
    if day is None or state in COMPLETE_STATES:
        return ""
    return f"through {day.day} {day.strftime('%b')}"


def rate(progress: Progress) -> str:
    """Postings per second of the current sync (tui.pace), in at most 7 cells (`4.5/s`,
    `2 974/s`, `85k/s`); empty when idle or once the sync is done."""
    return per_second(progress.rate)


def per_second(per_s: float | None) -> str:
    """A rate per second in at most 7 cells (`4.5/s`, `2 974/s`, `85k/s`); empty when none."""
    if per_s is None or per_s <= 0:
        return ""
    if per_s < 10:
        return f"{per_s:.1f}/s"
    if per_s < 10_000:
        return f"{count(round(per_s))}/s"
    if per_s < 999_500:
        return f"{per_s / 1000:.0f}k/s"
    return f"{per_s / 1_000_000:.1f}M/s"


def duration(seconds: float) -> str:
    """A short duration: 45s, 3m 20s, 1h 05m, 2d 3h."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def eta(progress: Progress, state: str) -> str:
    """Time left at the current rate while importing, a range where the work left is one
    (`3m–5m`); empty otherwise."""
    if state in COMPLETE_STATES:
        return ""
    left = progress.eta_s()
    if left is None:
        return ""
    soonest, latest = duration(left[0]), duration(left[1])
    return soonest if soonest == latest else between(*left)


def between(soonest: float, latest: float) -> str:
    """A range of durations in at most 7 cells, each in its largest unit: `3–5m`, `40s–2m`."""
    (low, low_unit), (high, high_unit) = _coarse(soonest), _coarse(latest)
    if (low, low_unit) == (high, high_unit):
        return f"{high}{high_unit}"
    first = f"{low}" if low_unit == high_unit else f"{low}{low_unit}"
    return f"{first}–{high}{high_unit}"


def _coarse(seconds: float) -> tuple[int, str]:
    s = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return s // size, unit
    return s, "s"


def label(state: str) -> str:
    """A state for people: `needs_attention` → `needs attention`."""
    return state.replace("_", " ")


def moment(at: dt.datetime, now: dt.datetime) -> str:
    """A time of day today, else with its date; always in the viewer's local zone."""
    local, today = at.astimezone(), now.astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    if local.year == today.year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def ago(at: dt.datetime, now: dt.datetime) -> str:
    """How long ago: `3m 20s ago`."""
    return f"{duration(max(0.0, (now - at).total_seconds()))} ago"


def due(at: dt.datetime, now: dt.datetime) -> str:
    """How long until: `in 1m 05s`; `due now` once the time has come."""
    left = (at - now).total_seconds()
    return "due now" if left < 0.5 else f"in {duration(left)}"


def one_line(text: str | None, width: int) -> str:
    """Text on one line, cut to `width` with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def company_question(choice: CompanyChoice) -> str:
    """The confirmation of a company choice, naming both companies and what is removed."""
    lines = [f"Synchronize {choice.chosen} for {choice.org}?"]
    if choice.replaced:
        lines = [
            f"Switch {choice.org} from {choice.replaced} to {choice.chosen}?",
            f"{count(choice.postings)} postings of {choice.replaced}, its years, chunks and "
            f"checks are removed now; the first sync of {choice.chosen} starts.",
        ]
    if choice.duplicates:
        lines.append(
            f"{choice.chosen} is already synchronized by {', '.join(choice.duplicates)}: "
            "every report of it would count it twice."
        )
    return "\n\n".join(lines)


def company_yes(choice: CompanyChoice) -> str:
    """The confirming button's label for a company choice."""
    if choice.replaced:
        return "Replace"
    return "Synchronize anyway" if choice.duplicates else "Synchronize"


def money(amount: Decimal | None) -> str:
    """An amount in kroner with øre, thousands separated by thin spaces; `–` when unknown."""
    return "–" if amount is None else f"{amount:,.2f}".replace(",", "\u2009")


def period(start: dt.date | None, end: dt.date | None) -> str:
    """A file's period: `2025-01-01 – 2025-12-31`; `–` before it is known."""
    if start is None or end is None:
        return "–"
    return f"{start.isoformat()} – {end.isoformat()}"
