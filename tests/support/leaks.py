"""Looking for secrets where they must never be: Redis, log files, the database.

Written apart from `shared.logging`'s redaction on purpose: a form the redactor forgets must
not be forgotten here too.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

import redis.asyncio as aioredis
from pipeline_harness import fetch

#: column types whose values are read (others cannot hold a token)
TEXT_TYPES = ("text", "character varying", "character", "bytea", "json", "jsonb", "ARRAY")


def forms(secret: str) -> set[str]:
    """The secret as it could appear: raw, URL-quoted, and inside any base64 encoding.

    Base64 of a longer text holding the secret (`Basic base64("0:" + token)`) holds the base64
    of the secret without its first 0, 1 or 2 bytes, cut to whole 3-byte groups.
    """
    found = {secret, quote(secret, safe=""), quote_plus(secret)}
    raw = secret.encode()
    for skip in range(3):
        part = raw[skip:]
        part = part[: len(part) // 3 * 3]
        found.add(base64.b64encode(part).decode())
        found.add(base64.urlsafe_b64encode(part).decode())
    return found


def leaks(texts: Iterable[tuple[str, str]], secrets: Iterable[str]) -> list[str]:
    """Where (place names) any form of any secret occurs."""
    needles = {form: secret for secret in secrets for form in forms(secret)}
    found = []
    for place, text in texts:
        for needle, secret in needles.items():
            if needle in text:
                found.append(f"{place}: a form of …{secret[-6:]}")
    return found


async def redis_texts(redis_url: str) -> list[tuple[str, str]]:
    """Every key of the Redis database and its whole value, whatever its type."""
    client = aioredis.Redis.from_url(redis_url)
    texts = []
    try:
        async for key in client.scan_iter(count=500):
            kind = (await client.type(key)).decode()
            texts.append((f"redis key {key!r}", _text(key)))
            texts.append((f"redis {kind} {key!r}", await _value(client, key, kind)))
    finally:
        await client.aclose()
    return texts


#: how to read a whole value of each Redis type
READERS: dict[str, Callable[[aioredis.Redis, bytes], Awaitable[object]]] = {
    "string": lambda client, key: client.get(key),
    "list": lambda client, key: client.lrange(key, 0, -1),
    "hash": lambda client, key: client.hgetall(key),
    "set": lambda client, key: client.smembers(key),
    "zset": lambda client, key: client.zrange(key, 0, -1),
    "stream": lambda client, key: client.xrange(key),
}


async def _value(client: aioredis.Redis, key: bytes, kind: str) -> str:
    """A key's value as text (empty for a key gone meanwhile)."""
    assert kind in READERS or kind == "none", f"a Redis {kind} cannot be read yet"
    return _text(await READERS[kind](client, key)) if kind in READERS else ""


def log_texts(folder: Path) -> list[tuple[str, str]]:
    """Every log the test's processes wrote (workers, schedulers, the command line)."""
    return [(f"log {path.name}", path.read_text(errors="replace")) for path in folder.glob("*.log")]


async def database_texts(database_url: str) -> list[tuple[str, str]]:
    """Every text, bytea, json and array value of every table in the public schema."""
    columns = await fetch(
        database_url,
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type = ANY($1::text[])"
        " ORDER BY table_name, ordinal_position",
        list(TEXT_TYPES),
    )
    texts = []
    for table, column in sorted({(c["table_name"], c["column_name"]) for c in columns}):
        rows = await fetch(database_url, f'SELECT "{column}" AS v FROM "{table}"')  # noqa: S608 - names from the catalog
        texts.append((f"table {table}.{column}", _join(r["v"] for r in rows)))
    return texts


def _join(values: Iterable[object]) -> str:
    return "\n".join(_text(value) for value in values)


def _text(value: object) -> str:
    """Any value as text: bytes byte for byte, containers item by item."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict):
        return _join(part for pair in value.items() for part in pair)
    if isinstance(value, list | tuple | set):
        return _join(value)
    return str(value)
