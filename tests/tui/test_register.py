"""The registration wizard and its company picker on fixed data (the sandbox run is elsewhere)."""

from __future__ import annotations

from dataclasses import replace

from tui_fake import COMPANIES, FakeSource
from tui_pilot import until

from tui.app import LedgersyncApp
from tui.screens.company import CompanyScreen
from tui.screens.detail import DetailScreen
from tui.screens.register import RegisterScreen
from tui.views import Company
from tui.widgets.company_picker import CompanyTable, company_matches


def test_company_search_matches_words_in_name_number_or_id() -> None:
    fjord = COMPANIES[1]
    assert company_matches(fjord, "fjord")
    assert company_matches(fjord, "TRANSPORT fjord"), "any order, any case"
    assert company_matches(fjord, "900000000"), "the number without its spaces"
    assert company_matches(fjord, "300")
    assert not company_matches(fjord, "fjord bakeri")


async def test_the_company_picker_narrows_as_you_type_and_enter_chooses_the_one_left() -> None:
    chosen: list[Company | None] = []
    app = LedgersyncApp(FakeSource(), refresh_s=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.push_screen(CompanyScreen(app.source, 3, "Nordlys Eiendom"), chosen.append)
        table = app.screen.query_one(CompanyTable)
        await until(pilot, "every company", lambda: table.row_count == len(COMPANIES))
        await pilot.press(*"fjell")
        await until(pilot, "the search", lambda: table.row_count == 2)
        assert {str(table.get_row_at(i)[1]) for i in range(2)} == {
            "Fjellstue Drift AS",
            "Tindefjell Turisme AS",
        }
        assert "2 of 13" in str(app.screen.query_one("#company-count").render())
        await pilot.press(*" drift", "enter")
        await until(pilot, "the choice", lambda: bool(chosen))
    assert chosen == [next(c for c in COMPANIES if c.name == "Fjellstue Drift AS")]


async def test_registering_walks_name_method_provider_token_company_and_confirm() -> None:
    source = FakeSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, RegisterScreen)
        await pilot.press(*"Fjordkraft", "enter", "enter", "enter")
        await pilot.press(*"with space", "enter")
        await until(
            pilot,
            "the token refused",
            lambda: "spaces" in str(app.screen.query_one("#wizard-problem").render()),
        )
        await pilot.press(*"tok-0123456789abcdef", "enter")
        await until(
            pilot, "the companies", lambda: app.screen.query_one(CompanyTable).row_count > 1
        )
        await pilot.press(*"havbris", "enter")
        await until(
            pilot,
            "the confirmation",
            lambda: app.screen.focused is not None and app.screen.focused.id == "start",
        )
        await pilot.press("enter")
        await until(pilot, "the new organization", lambda: isinstance(app.screen, DetailScreen))
    registered = ("register", "Fjordkraft", "api", "tripletex", "tok-0123456789abcdef")
    assert source.actions == [registered, ("select_company", 9, 302)]


class Refusing(FakeSource):
    """Tripletex refuses every token registered, with a long sentence."""

    REASON = (
        "Tripletex rejected the employee token: it is expired or revoked, or it was made for "
        "another application; ask the customer for a new token shared with this application, "
        "made by a user who may read the ledger of the company to synchronize."
    )

    async def register(
        self, *, name: str, method: str, provider: str | None, token: str | None
    ) -> int:
        org_id = await super().register(name=name, method=method, provider=provider, token=token)
        self.orgs[-1] = replace(self.orgs[-1], reason=self.REASON)
        return org_id


async def test_a_refused_token_s_whole_sentence_shows_wrapped_in_the_wizard() -> None:
    app = LedgersyncApp(Refusing(validation="needs_attention"), refresh_s=3600)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("n", *"Fjordkraft", "enter", "enter", "enter")
        await pilot.press(*"tok-0123456789abcdef", "enter")
        text = app.screen.query_one("#validation-text")
        await until(pilot, "the refusal", lambda: "did not validate" in str(text.render()))
        await pilot.pause()
        assert text.region.right <= app.screen.size.width, "no part of it beyond the screen"
        assert "synchronize." in str(text.render())
        assert text.size.height > 5, "the sentence wraps over several lines"
