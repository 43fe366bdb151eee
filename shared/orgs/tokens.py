"""Employee tokens: read and checked as pasted, stored encrypted, fingerprinted, replaced."""

from __future__ import annotations

import asyncpg
from dramatiq.brokers.redis import RedisBroker

from shared import audit
from shared.crypto import TokenCipher
from shared.db.queries import Q
from shared.errors import BadInput
from shared.models import OrgState
from shared.orgs import followups
from shared.orgs.state import set_state

#: what stands for the fingerprint of a token stored before tokens had one
NOT_FINGERPRINTED = "fp:pending (a worker starting fingerprints it)"

#: the longest employee token accepted (Tripletex's are far shorter)
MAX_TOKEN_BYTES = 4096


def shown_fingerprint(fingerprint: str | None) -> str:
    """A stored token's fingerprint as shown (`shared.crypto.TokenCipher.fingerprint`)."""
    return fingerprint or NOT_FINGERPRINTED


async def fingerprint_stored(conn: asyncpg.Connection, cipher: TokenCipher) -> int:
    """Fingerprint the tokens stored without one (before fingerprints were); how many."""
    done = 0
    for row in await conn.fetch(Q["credentials_unfingerprinted"]):
        fingerprint = cipher.fingerprint(cipher.decrypt(row["employee_token"]))
        status = await conn.execute(
            Q["credentials_set_fingerprint"], row["org_id"], row["employee_token"], fingerprint
        )
        done += status == "UPDATE 1"
    return done


def clean_token(raw: str) -> str:
    """The token as pasted, without surrounding blanks; BadInput unless printable ASCII, ≤ 4 KB."""
    token = raw.strip()
    if not token or any(ch.isspace() for ch in token):
        raise BadInput("The employee token is empty or has spaces in it; paste it again, alone.")
    if len(token) > MAX_TOKEN_BYTES:
        raise BadInput(
            f"The employee token is {len(token)} characters long, more than the "
            f"{MAX_TOKEN_BYTES} allowed; paste the token alone."
        )
    if not all("!" <= ch <= "~" for ch in token):
        raise BadInput(
            "The employee token holds characters other than printable ASCII; paste it again, alone."
        )
    return token


def decode_token(raw: bytes) -> str:
    """Token bytes (as read from standard input) as text; BadInput when not UTF-8."""
    if len(raw) > 2 * MAX_TOKEN_BYTES:
        raise BadInput(
            f"The token on standard input is longer than the {MAX_TOKEN_BYTES} bytes allowed; "
            "pipe in the token alone."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(
            "The token on standard input is not UTF-8 text; pipe in the token alone."
        ) from None
    return clean_token(text)


async def verify_key(conn: asyncpg.Connection, cipher: TokenCipher) -> None:
    """Refuse a secret key other than the one earlier tokens were stored with."""
    stored = await conn.fetchval(Q["key_check_get"])
    if stored is None:
        await conn.execute(Q["key_check_insert"], cipher.key_check())
    else:
        cipher.verify(stored)


async def check_key(conn: asyncpg.Connection, cipher: TokenCipher) -> None:
    """WrongSecretKey if tokens were stored under another key (reads only: for the workers)."""
    stored = await conn.fetchval(Q["key_check_get"])
    if stored is not None:
        cipher.verify(stored)


async def replace_token(
    conn: asyncpg.Connection,
    org_id: int,
    token: str,
    cipher: TokenCipher,
    *,
    broker: RedisBroker | None = None,
) -> None:
    """Replace the employee token; validation starts again (`validate_token`, sent with
    `broker` once committed)."""
    fingerprint = cipher.fingerprint(token)
    async with conn.transaction():
        await verify_key(conn, cipher)
        previous = await conn.fetchval(Q["org_by_id"], org_id, column="token_fingerprint")
        await conn.execute(
            Q["credentials_replace_token"], org_id, cipher.encrypt(token), fingerprint
        )
        await set_state(conn, org_id, OrgState.VALIDATING)
        await audit.record(
            conn,
            "org.replace_token",
            org_id,
            {"fingerprint": fingerprint, "previous_fingerprint": previous},
        )
        staged = await followups.stage(conn, broker, "validate_token", org_id)
    await followups.send(conn, broker, staged)
