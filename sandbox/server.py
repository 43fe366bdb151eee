"""Running the sandbox: `SandboxServer` for tests and embedding, `serve` for the command line."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from aiohttp import web

from sandbox.app import API, CONTROL, create_app
from sandbox.faults import Faults
from sandbox.scenario import Scenario
from sandbox.state import STATE, SandboxState


class SandboxServer:
    """The sandbox on a local port: `async with SandboxServer(scenario) as s: s.base_url`."""

    def __init__(
        self,
        scenario: Scenario,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: datetime | None = None,
    ) -> None:
        self.scenario = scenario
        self.faults = faults
        self.host = host
        self.port = port
        self.app = create_app(scenario, faults, clock=clock)
        self._runner: web.AppRunner | None = None

    @property
    def state(self) -> SandboxState:
        """The running sandbox's state (sessions, ledgers, faults, counters)."""
        return self.app[STATE]

    @property
    def base_url(self) -> str:
        """The API base, e.g. `http://127.0.0.1:8123/v2`."""
        return f"http://{self.host}:{self.port}{API}"

    @property
    def control_url(self) -> str:
        """The control API base, e.g. `http://127.0.0.1:8123/_sandbox`."""
        return f"http://{self.host}:{self.port}{CONTROL}"

    async def start(self) -> None:
        """Bind and start serving; with port 0 a free port is chosen."""
        # a client gone (a worker stopped) cancels its request: no handler outlives it
        self._runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving and close every connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()


def serve(app: web.Application, host: str, port: int) -> None:
    """Serve an app from `create_app` until interrupted (blocks); prints the API and control URLs
    once listening."""
    scenario = app[STATE].scenario
    print(
        f"Tripletex sandbox ({scenario.name}, seed {scenario.seed}): http://{host}:{port}{API}"
        f"  control: http://{host}:{port}{CONTROL}",
        flush=True,
    )
    web.run_app(app, host=host, port=port, access_log=None, print=None)
