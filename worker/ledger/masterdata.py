"""The registers postings point to, refreshed with every sync: one request per register.

Each register is listed whole (one page of up to 10,000) and written in its own transaction:
the listed rows upserted, the rows no longer listed kept but marked `at_source = false`, and the
outcome recorded in `register_refreshes`. A register the token may not read (403), the API does
not serve (404) or lists over its 10,000 cap is recorded as refused, and the others go on: the
postings do not depend on it. Idempotent: a refresh run twice writes the same rows.
"""

from __future__ import annotations

import asyncpg
import structlog

from shared.db.queries import Q
from shared.orgs import settle_org
from worker.resources import Resources
from worker.sync.progress import target
from worker.tripletex.errors import Forbidden, NotFound, ResultSetTooLarge
from worker.tripletex.protocol import api_path
from worker.tripletex.registers import REGISTERS, Register, Row

logger = structlog.get_logger(__name__)

#: what keeps one register from being listed, and is said rather than failing the refresh
REFUSALS = (Forbidden, NotFound, ResultSetTooLarge)


async def refresh_registers(
    res: Resources, org_id: int, only: frozenset[str] | None = None
) -> None:
    """List every register of the organization's company (or those whose table is in `only`:
    a webhook named one of their objects) and store it (see the module)."""
    async with res.pool.acquire() as conn:
        found = await target(conn, org_id)
    if found is None:
        return  # the organization stopped, or has no company yet
    company_id, username = found
    refused: list[str] = []
    chosen = [r for r in REGISTERS if only is None or r.table in only]
    for register in chosen:
        try:
            rows = await _list(res, org_id, username, register)
        except REFUSALS as exc:
            refused.append(register.table)
            async with res.pool.acquire() as conn:
                await conn.execute(
                    Q["register_refreshes_record"], org_id, register.table, None, _why(exc)
                )
            continue
        async with res.pool.acquire() as conn, conn.transaction():
            # first, and held until commit: the company read is still the organization's
            if await conn.fetchval(Q["org_company_fence"], org_id, company_id) is None:
                logger.info("registers_company_changed", org_id=org_id)
                return
            await store_register(conn, org_id, register, rows)
    async with res.pool.acquire() as conn, conn.transaction():
        # settled by its years, as every step of a sync ends: a refresh an operator retried
        # after it stopped for good reopened the organization
        await settle_org(conn, org_id)
    logger.info("registers_refreshed", org_id=org_id, registers=len(chosen), refused=refused)


async def _list(res: Resources, org_id: int, username: int, register: Register) -> list[Row]:
    """Every object of one register, as rows (one request)."""
    path, client = api_path(*register.path), res.access.client
    return await res.access.call(
        org_id, username, lambda auth: client.list_all(auth, path, register.query, register.parse)
    )


async def store_register(
    conn: asyncpg.Connection, org_id: int, register: Register, rows: list[Row]
) -> None:
    """Upsert a register's listed rows, mark those no longer listed, record the refresh."""
    unique = list({row[0]: row for row in rows}.values())  # a key listed twice counts once
    columns = [list(column) for column in zip(*unique, strict=True)] if unique else []
    if not columns:
        columns = [[] for _ in register.columns]
    await conn.execute(Q[f"{register.table}_upsert"], org_id, *columns)
    await conn.execute(Q[f"{register.table}_retire"], org_id, columns[0])
    await conn.execute(Q["register_refreshes_record"], org_id, register.table, len(unique), None)


def _why(exc: Exception) -> str:
    """A refusal in a few words, for `org show`."""
    if isinstance(exc, Forbidden):
        return "403: the token may not read it"
    if isinstance(exc, NotFound):
        return "404: the API does not serve it"
    return "over 10,000 rows: the API will not list it"
