"""The troubleshooting screen's message to the customer: `m` shows it, `l` switches its language,
`c` copies it (App.clipboard) with a toast; nothing for the customer is said, not shown."""

from __future__ import annotations

from dataclasses import replace

from tui_fake import CHECKS, FakeSource
from tui_pilot import until

from shared.checks import Check, CheckName, CheckStatus
from shared.customer_message import compose
from shared.customer_words import Lang
from tui.app import LedgersyncApp
from tui.screens.checks import ChecksScreen
from tui.screens.message import MessageScreen

ORG = "Fjordlys Kaffebar AS"


def toasts(app: LedgersyncApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def test_m_shows_the_message_and_c_copies_it_in_either_language() -> None:
    source = FakeSource()
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await app.push_screen(ChecksScreen(2, ORG))
        await until(pilot, "the checks", lambda: app.screen.shown_run is not None)  # type: ignore[attr-defined]
        await pilot.press("m")
        await until(pilot, "the message", lambda: isinstance(app.screen, MessageScreen))
        text = str(app.screen.query_one("#message-text").render())
        assert text.startswith(f"Emne: Tripletex-tilkoblingen for {ORG}")
        assert "«Ledgersync Onboarding»" in text, "the source's application name"

        await pilot.press("c")
        nb = compose(ORG, "Ledgersync Onboarding", CHECKS.results, Lang.NB)
        assert nb is not None
        assert app.clipboard == nb.text
        await until(
            pilot, "the toast", lambda: f"Copied the message for {ORG} (nb)." in toasts(app)
        )

        await pilot.press("l", "c")
        en = compose(ORG, "Ledgersync Onboarding", CHECKS.results, Lang.EN)
        assert en is not None
        assert app.clipboard == en.text
        assert app.clipboard.startswith("Subject: ")
        await until(
            pilot, "the toast", lambda: f"Copied the message for {ORG} (en)." in toasts(app)
        )

        await pilot.press("escape")
        await until(pilot, "back", lambda: isinstance(app.screen, ChecksScreen))
    assert source.actions == [], "nothing changed"


async def test_nothing_for_the_customer_is_a_toast_not_a_message() -> None:
    source = FakeSource()
    ours = Check(CheckName.CONSUMER_TOKEN, CheckStatus.FAIL, "No consumer token is configured.")
    run = replace(CHECKS, results=(*CHECKS.results[:2], ours))

    async def last_checks(org_id: int) -> object:
        return run

    source.last_checks = last_checks  # type: ignore[method-assign,assignment]
    app = LedgersyncApp(source, refresh_s=3600)
    async with app.run_test(size=(160, 45)) as pilot:
        await app.push_screen(ChecksScreen(2, ORG))
        await until(pilot, "the checks", lambda: app.screen.shown_run is not None)  # type: ignore[attr-defined]
        await pilot.press("m")
        await until(
            pilot,
            "the toast",
            lambda: any("nothing for the customer to fix" in t for t in toasts(app)),
        )
        assert isinstance(app.screen, ChecksScreen)
        assert app.clipboard == ""
