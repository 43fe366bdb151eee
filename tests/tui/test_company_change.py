"""Choosing another company from an organization's screen (issue 16): the confirmation names both
companies and what is removed, and only a confirmed choice replaces or duplicates."""

from __future__ import annotations

from tui_fake import FakeSource
from tui_pilot import until

from shared.orgs import CompanyChoice
from tui.app import LedgersyncApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.detail import DetailScreen
from tui.widgets.company_picker import CompanyTable
from tui.widgets.year_table import YearTable

FJORDLINE = 300
SWITCH = CompanyChoice(
    org="Bakeriet Brød AS (#1)",
    chosen="Fjordline Transport AS (300)",
    replaced="Bakeriet Brød AS (302)",
    postings=184_220,
    duplicates=("Tall og Tast Regnskap (#2)",),
    duplicate_ids=(2,),
)


async def _confirmation(source: FakeSource, answer: str) -> str:
    """Open organization #1, press C, choose Fjordline; the question shown, then `answer`."""
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.push_screen(DetailScreen(1))
        await until(pilot, "the years", lambda: app.screen.query_one(YearTable).row_count > 0)
        await pilot.press("C")
        await until(
            pilot, "the companies", lambda: app.screen.query(CompanyTable).first().row_count > 1
        )
        await pilot.press(*"fjordline", "enter")
        await until(pilot, "the confirmation", lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question").render())
        await pilot.press(answer)
        await until(pilot, "the answer", lambda: isinstance(app.screen, DetailScreen))
        await pilot.pause(0.2)
    return question


async def test_a_switch_names_both_companies_the_postings_removed_and_the_duplicate() -> None:
    source = FakeSource()
    source.choices[FJORDLINE] = SWITCH

    question = await _confirmation(source, "y")

    assert (
        "Switch Bakeriet Brød AS (#1) from Bakeriet Brød AS (302) to Fjordline Transport AS (300)?"
        in question
    )
    assert "184\u2009220 postings of Bakeriet Brød AS (302)" in question
    assert "already synchronized by Tall og Tast Regnskap (#2)" in question
    assert source.actions == [("select_company", 1, FJORDLINE, True, True)]


async def test_a_switch_declined_changes_nothing() -> None:
    source = FakeSource()
    source.choices[FJORDLINE] = SWITCH

    await _confirmation(source, "n")

    assert source.actions == []


async def test_a_plain_choice_neither_replaces_nor_duplicates() -> None:
    source = FakeSource()

    question = await _confirmation(source, "y")

    assert question.startswith("Synchronize ")
    assert "removed" not in question
    assert source.actions == [("select_company", 1, FJORDLINE)]
