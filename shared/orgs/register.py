"""Registering an organization: its row, its encrypted token, its audit line, then validation."""

from __future__ import annotations

from typing import Any

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared import audit
from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import Method, OrgState, Provider
from shared.orgs import followups
from shared.orgs.naming import name_problem
from shared.orgs.tokens import verify_key


async def register(
    conn: asyncpg.Connection,
    *,
    name: str,
    method: Method,
    provider: Provider | None,
    token: str | None,
    cipher: TokenCipher | None,
    broker: RedisBroker | None = None,
) -> int:
    """Register an organization (with its encrypted token for API); return its id.

    With `broker`, an API organization's validation (`validate_token`) is sent once committed.
    """
    name = _checked(name, method, provider, token, cipher)
    if await conn.fetchrow(Q["org_by_name"], name):
        raise BadInput(f"An organization named {name!r} exists already; choose another name.")
    state = OrgState.VALIDATING if method is Method.API else OrgState.AWAITING_FILE
    detail: dict[str, Any] = {"name": name, "method": method.value}
    async with conn.transaction():
        org_id = int(await conn.fetchval(Q["org_insert"], name, method, provider, state))
        if token is not None and cipher is not None:
            await verify_key(conn, cipher)
            fingerprint = cipher.fingerprint(token)
            await conn.execute(Q["credentials_insert"], org_id, cipher.encrypt(token), fingerprint)
            detail["fingerprint"] = fingerprint
        await audit.record(conn, "org.register", org_id, detail)
        staged = None
        if method is Method.API:
            staged = await followups.stage(conn, broker, "validate_token", org_id)
    await followups.send(conn, broker, staged)
    return org_id


def _checked(
    name: str,
    method: Method,
    provider: Provider | None,
    token: str | None,
    cipher: TokenCipher | None,
) -> str:
    """The name without surrounding blanks; BadInput when it or the API's needs are wrong."""
    name = name.strip()
    if not name:
        raise BadInput("The organization needs a name.")
    problem = name_problem(name)
    if problem is not None:
        raise BadInput(f"The organization's name {problem}; choose a plain one.")
    if method is Method.API and (token is None or cipher is None or provider is None):
        raise BadInput(
            "An API organization needs a provider and an employee token (--token-stdin)."
        )
    return name
