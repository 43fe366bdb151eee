"""Migration 0010 on rows written before it (issue 18): an error of an organization synced since
goes to the audit log; the last-four-characters token hints go (a worker fingerprints again)."""

from __future__ import annotations

import uuid

from shared.db import connect, drop_database, ensure_database, with_database
from shared.db.migrate import apply_migrations, load_migrations
from shared.db.queries import Q


async def test_0010_clears_recovered_errors_into_the_audit_and_drops_token_hints(
    template_db: str,
) -> None:
    url = with_database(template_db, f"lstest_m0010_{uuid.uuid4().hex[:8]}")
    await ensure_database(url)
    conn = await connect(url)
    try:
        await conn.execute(Q["migrations_create_table"])
        for migration in load_migrations():
            if migration.version < 10:
                await conn.execute(migration.sql)
                await conn.execute(Q["migrations_record"], migration.version, migration.name)
        # before 0010: a synced organization still showing an old error, one in trouble now
        await conn.execute(
            "INSERT INTO organizations (name, method, provider, state, last_error) VALUES "
            "('Frisk AS', 'api', 'tripletex', 'synced', 'Tripletex answered 503'), "
            "('Syk AS', 'api', 'tripletex', 'needs_attention', 'Token revoked')"
        )
        await conn.execute(
            "INSERT INTO credentials (org_id, employee_token, token_hint) "
            "SELECT id, '\\x00'::bytea, '…fQ==' FROM organizations"
        )
        applied = await apply_migrations(conn)
        assert applied[0].startswith("0010_")
        found = {
            r["name"]: (r["last_error"], r["last_error_at"] is not None)
            for r in await conn.fetch("SELECT name, last_error, last_error_at FROM organizations")
        }
        assert found == {"Frisk AS": (None, False), "Syk AS": ("Token revoked", True)}
        kept = await conn.fetch("SELECT action, detail FROM audit_log")
        assert [(r["action"], r["detail"]["error"]) for r in kept] == [
            ("org.recovered", "Tripletex answered 503")
        ]
        hints = await conn.fetch("SELECT token_fingerprint FROM credentials")
        assert [r["token_fingerprint"] for r in hints] == [None, None]
    finally:
        await conn.close()
        await drop_database(url)
