"""An organization removed, or changing company, hands its webhook subscriptions to
`remove_webhooks`: each row becomes `removing` with a copy of the token's ciphertext, and the
message is staged in the same transaction."""

from __future__ import annotations

import asyncpg

from shared import orgs
from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.models import Method, Provider

A, B = 101, 202
CIPHER = TokenCipher("a-test-secret-key-of-some-length")


async def _hooked_org(pg: asyncpg.Connection) -> tuple[int, list[int]]:
    new = orgs.NewOrg("Kroken AS", Method.API, Provider.TRIPLETEX, token="eyJ0b2tlbiI6Imdvb2QifQ")
    org_id = await orgs.register(pg, new, cipher=CIPHER)
    for company, title in ((A, "Alfa AS"), (B, "Beta AS")):
        await pg.execute(Q["company_upsert"], org_id, company, title, None, None, False)
    await orgs.select_company(pg, org_id, A)
    rows = []
    for n, event in enumerate(("voucher.create", "voucher.update")):
        row_id = await pg.fetchval(
            Q["webhook_subscription_create"], org_id, A, event, f"key-{n}", CIPHER.encrypt("s")
        )
        await pg.execute(Q["webhook_subscription_created"], row_id, 500 + n, False)
        rows.append(row_id)
    await pg.execute("DELETE FROM outbox")
    return org_id, rows


async def _staged(pg: asyncpg.Connection) -> list[tuple[str, list[object]]]:
    return [(r["actor"], list(r["args"])) for r in await pg.fetch("SELECT * FROM outbox")]


async def test_removal_hands_the_subscriptions_over(pg: asyncpg.Connection) -> None:
    org_id, rows = await _hooked_org(pg)
    token = await pg.fetchval("SELECT employee_token FROM credentials WHERE org_id = $1", org_id)
    await orgs.remove(pg, org_id)
    left = await pg.fetch("SELECT id, org_id, status, token_encrypted FROM webhook_subscriptions")
    assert {(r["id"], r["org_id"], r["status"]) for r in left} == {
        (row_id, None, "removing") for row_id in rows
    }
    assert all(r["token_encrypted"] == token for r in left)
    assert sorted(await _staged(pg)) == [("remove_webhooks", [row_id]) for row_id in rows]


async def test_a_company_change_hands_them_over_and_forgets_its_versions(
    pg: asyncpg.Connection,
) -> None:
    org_id, rows = await _hooked_org(pg)
    await pg.execute(Q["voucher_version_claim"], org_id, 7, 3)
    await pg.execute(Q["webhook_delivery_insert"], org_id, rows[0], "voucher.update", 7)
    await orgs.select_company(pg, org_id, B, orgs.Confirmed(replace=True))
    left = await pg.fetch("SELECT org_id, status FROM webhook_subscriptions")
    assert {(r["org_id"], r["status"]) for r in left} == {(org_id, "removing")}
    assert sorted(await _staged(pg)) == [("remove_webhooks", [row_id]) for row_id in rows]
    assert await pg.fetchval("SELECT count(*) FROM voucher_versions") == 0
    assert await pg.fetchval("SELECT count(*) FROM webhook_deliveries") == 0
    # the new company's subscriptions can be made beside the ones being removed
    assert await pg.fetchval(
        Q["webhook_subscription_create"], org_id, B, "voucher.create", "key-new", b"x"
    )
