"""`n`: register an organization, step by step, until its first synchronization starts.

name → method (API or SAF-T) → provider → employee token (masked; paste works) → live
validation (the workers validate; this screen watches the organization's state) → company
(searchable) → confirm. The SAF-T path asks for a file instead of the token. Esc goes back a step
until the organization is registered; after that it closes (the organization stays).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from shared.errors import AppError
from shared.orgs import CompanyChoice, clean_token
from tui import format as fmt
from tui.screens.saft import readable_file
from tui.source import Source
from tui.views import Company, OrgDetail
from tui.widgets.company_picker import CompanyPicker
from tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui.app import LedgersyncApp

#: the steps, in order: id and title
STEPS = (
    ("name", "Name"),
    ("method", "Method"),
    ("provider", "Provider"),
    ("token", "Token"),
    ("validation", "Validation"),
    ("company", "Company"),
    ("confirm", "Confirm"),
)
#: the SAF-T path's steps after the method
SAFT_STEPS = (("file", "File"), ("saft-done", "Import"))
#: after a failed validation
FAILED = "Esc closes; the organization stays: fix it from its screen (T replaces the token)."
#: after a validation that found the one company
STARTED = "The first synchronization has started. Esc opens the organization."
#: seconds between looks at the organization while the workers validate
POLL_S = 0.5


class RegisterScreen(Screen[int | None]):
    """The registration wizard; dismisses with the new organization's id (None: given up)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.org_id: int | None = None
        self.company: Company | None = None
        self.choice: CompanyChoice | None = None

    @property
    def source(self) -> Source:
        """The App's data source."""
        return cast("LedgersyncApp", self.app).source

    def compose(self) -> ComposeResult:
        """Status, step trail, the steps, a line for problems, keys."""
        yield StatusBar("Register an organization")
        yield Label("", id="trail")
        yield Label("", id="wizard-problem", classes="problem")
        with ContentSwitcher(initial="name", id="steps"):
            with Vertical(id="name", classes="step"):
                yield Label("What is the organization called?", classes="question")
                yield Input(placeholder="e.g. Bakeriet Brød AS", id="name-input")
            with Vertical(id="method", classes="step"):
                yield Label("How does it deliver its ledger?", classes="question")
                yield OptionList(
                    Option("API: connect to its accounting system (Tripletex)", id="api"),
                    Option("SAF-T: it sends a SAF-T Financial file", id="saft"),
                    id="method-list",
                )
            with Vertical(id="provider", classes="step"):
                yield Label("Which accounting system?", classes="question")
                yield OptionList(Option("Tripletex", id="tripletex"), id="provider-list")
            with Vertical(id="token", classes="step"):
                yield Label("Paste the customer's employee token", classes="question")
                yield Input(password=True, placeholder="employee token (hidden)", id="token-input")
                yield Label("Stored encrypted; never shown again.", classes="hint")
            with Vertical(id="validation", classes="step"):
                yield Label("Validating the token with Tripletex…", id="validation-text")
            with Vertical(id="company", classes="step"):
                yield Label("Which company should be synchronized?", classes="question")
                yield CompanyPicker(id="picker")
            with Vertical(id="confirm", classes="step"):
                yield Label("", id="confirm-text", classes="question")
                yield Button("Start the first synchronization", id="start", variant="primary")
                yield Label("Esc goes back to the companies.", classes="hint")
            with Vertical(id="file", classes="step"):
                yield Label("Where is the SAF-T Financial file?", classes="question")
                yield Input(placeholder="/path/to/SAF-T.xml", id="file-input")
            with Vertical(id="saft-done", classes="step"):
                yield Label("", id="saft-text")
        yield Footer()

    def on_mount(self) -> None:
        """Start with the name."""
        self._go("name")

    # --- moving between steps --------------------------------------------------------------

    def _go(self, step: str) -> None:
        self.query_one(ContentSwitcher).current = step
        self._problem("")
        order = [title for key, title in self._steps()]
        current = dict(STEPS + SAFT_STEPS)[step]
        self.query_one("#trail", Label).update(
            "  ›  ".join(f"[b reverse] {t} [/]" if t == current else t for t in order)
        )
        focus = {
            "name": "#name-input",
            "method": "#method-list",
            "provider": "#provider-list",
            "token": "#token-input",
            "company": "#company-search",
            "file": "#file-input",
            "confirm": "#start",
        }
        if step in focus:
            self.query_one(focus[step]).focus()

    def _steps(self) -> tuple[tuple[str, str], ...]:
        if self.values.get("method") == "saft":
            return STEPS[:2] + SAFT_STEPS
        return STEPS

    def _problem(self, text: str) -> None:
        self.query_one("#wizard-problem", Label).update(Text(text))

    def action_back(self) -> None:
        """A step back; once registered, close (the organization stays)."""
        if self.org_id is not None:
            self.dismiss(self.org_id)
            return
        keys = [key for key, _ in self._steps()]
        current = str(self.query_one(ContentSwitcher).current)
        if keys.index(current) == 0:
            self.dismiss(None)
        else:
            self._go(keys[keys.index(current) - 1])

    # --- the steps -------------------------------------------------------------------------

    @on(Input.Submitted, "#name-input")
    def named(self, event: Input.Submitted) -> None:
        """Name given."""
        if not event.value.strip():
            self._problem("The organization needs a name.")
            return
        self.values["name"] = event.value.strip()
        self._go("method")

    @on(OptionList.OptionSelected, "#method-list")
    def method_chosen(self, event: OptionList.OptionSelected) -> None:
        """API or SAF-T."""
        self.values["method"] = str(event.option.id)
        self._go("provider" if event.option.id == "api" else "file")

    @on(OptionList.OptionSelected, "#provider-list")
    def provider_chosen(self, event: OptionList.OptionSelected) -> None:
        """Tripletex."""
        self.values["provider"] = str(event.option.id)
        self._go("token")

    @on(Input.Submitted, "#token-input")
    def token_given(self, event: Input.Submitted) -> None:
        """A well-formed token registers the organization; validation starts in the workers."""
        try:
            token = clean_token(event.value)
        except AppError as exc:
            event.input.value = ""
            self._problem(str(exc))
            return
        self._register(token)

    @work(exclusive=True, group="register", exit_on_error=False)
    async def _register(self, token: str) -> None:
        try:
            self.org_id = await self.source.register(
                name=self.values["name"],
                method="api",
                provider=self.values.get("provider"),
                token=token,
            )
        except AppError as exc:
            self._problem(str(exc))
            return
        self.query_one("#token-input", Input).value = ""
        self._go("validation")
        self._watch_validation()

    @work(exclusive=True, group="validate", exit_on_error=False)
    async def _watch_validation(self) -> None:
        """Poll the organization until the workers have validated its token."""
        assert self.org_id is not None
        text = self.query_one("#validation-text", Label)
        waited = 0.0
        while True:
            detail = await self.source.organization(self.org_id)
            state = detail.row.state if detail else "removed"
            if state != "validating":
                break
            text.update(f"Validating the token with Tripletex… {waited:.0f} s")
            await asyncio.sleep(POLL_S)
            waited += POLL_S
        await self._validated(state, detail)

    async def _validated(self, state: str, detail: OrgDetail | None) -> None:
        """Companies to choose from, the reason it failed, or the synchronization started."""
        assert self.org_id is not None
        text = self.query_one("#validation-text", Label)
        if state == "choose_company":
            self.query_one(CompanyPicker).show(await self.source.companies(self.org_id))
            self._go("company")
        elif state == "needs_attention" and detail is not None:
            reason = escape(detail.row.reason or "")
            text.update(f"[$error]The token did not validate.[/]\n\n{reason}\n\n{FAILED}")
        else:
            company = detail.row.company if detail else None
            reached = escape(company or "one company")
            text.update(f"Validated: the token reaches {reached}. {STARTED}")

    @on(CompanyPicker.Chosen)
    def company_chosen(self, event: CompanyPicker.Chosen) -> None:
        """A company: confirm before the first synchronization."""
        self.company = event.company
        self._ask(event.company)

    @work(exclusive=True, group="register", exit_on_error=False)
    async def _ask(self, company: Company) -> None:
        """The question names a duplicate when another organization syncs the company."""
        assert self.org_id is not None
        self.choice = await self.source.company_choice(self.org_id, company.id)
        self.query_one("#confirm-text", Label).update(Text(fmt.company_question(self.choice)))
        self.query_one("#start", Button).label = fmt.company_yes(self.choice)
        self._go("confirm")

    @on(Button.Pressed, "#start")
    def start_pressed(self) -> None:
        """Confirmed: the synchronization starts."""
        if self.company is not None:
            self._start()

    @work(exclusive=True, group="register", exit_on_error=False)
    async def _start(self) -> None:
        assert self.org_id is not None
        assert self.company is not None
        duplicate = self.choice is not None and bool(self.choice.duplicates)
        await self.source.select_company(self.org_id, self.company.id, allow_duplicate=duplicate)
        self.notify(f"{self.values['name']}: the first synchronization has started.", markup=False)
        self.dismiss(self.org_id)

    @on(Input.Submitted, "#file-input")
    def file_given(self, event: Input.Submitted) -> None:
        """A readable file: register the organization and import it."""
        path, problem = readable_file(event.value)
        if path is None:
            self._problem(problem)
        else:
            self._import(path)

    @work(exclusive=True, group="register", exit_on_error=False)
    async def _import(self, path: Path) -> None:
        text = self.query_one("#saft-text", Label)
        try:
            if self.org_id is None:
                self.org_id = await self.source.register(
                    name=self.values["name"], method="saft", provider=None, token=None
                )
            self._go("saft-done")
            text.update(Text(f"Checking {path.name}…"))
            import_id = await self.source.import_saft(self.org_id, path)
        except AppError as exc:
            self._problem(str(exc))
            if self.org_id is not None:
                text.update("The organization is registered; i on its screen imports a file.")
            return
        text.update(
            Text(
                f"{path.name} passed the first checks and is queued (import #{import_id}); "
                "the workers import it now. Esc opens the organization to watch."
            )
        )
