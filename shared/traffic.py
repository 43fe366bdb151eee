"""Tripletex requests per minute and per employee token, as the workers count them in Redis.

The workers' rate limiter (`worker.tripletex.ratelimit`) counts every request it lets through in
a hash per minute of Redis time, `ledgersync:requests:<minute>`, field the token's limit key (12 hex
digits of a hash, never the token), kept two hours. Each worker that opens an organization's
session notes which limit key the organization spends, in `ledgersync:requests:orgs`. The
limiter's own hash per key holds the limit and the current window. This module names those keys
and reads them (for the UI, with the blocking client it uses for status).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

#: the rate limiter's key prefix; a key adds only a limit key (a token fingerprint)
LIMITER_PREFIX = "ledgersync:ratelimit:"
#: a minute's tally of requests per limit key: this prefix and the minute (Unix seconds // 60)
TALLY_PREFIX = "ledgersync:requests:"
#: which limit key each organization's requests count against: organization id -> limit key
ORGS_KEY = "ledgersync:requests:orgs"
#: seconds a minute's tally is kept: the last hour is shown, with room for clocks and delays
TALLY_KEEP_S = 7200
#: minutes of tallies read for the UI
MINUTES = 60


@dataclass(frozen=True, slots=True)
class Window:
    """A limit key's rate-limit state as the limiter keeps it (from X-Rate-Limit-* headers)."""

    #: requests allowed per window (None before a header was seen)
    limit: int | None
    #: requests sent in the current window
    sent: int
    #: when the current window ends, and its estimated length, in ms (Redis time)
    end_ms: int
    window_ms: int


@dataclass(frozen=True, slots=True)
class Traffic:
    """What Redis holds of the last hour's requests, at Redis time `now_ms`."""

    now_ms: int
    #: requests per limit key in each whole minute of the last hour, oldest first
    minutes: tuple[dict[str, int], ...]
    #: requests per limit key so far in the current minute
    current: dict[str, int]
    #: organization id -> the limit key its requests count against
    orgs: dict[int, str]
    #: the limiter's state per limit key seen in `minutes` (absent once it expired)
    windows: dict[str, Window]


def tally_key(minute: int) -> str:
    """The hash counting the requests of `minute` (Unix seconds // 60)."""
    return f"{TALLY_PREFIX}{minute}"


def _int(value: bytes | None) -> int:
    return 0 if value is None else int(float(value))


def read(client: redis.Redis, minutes: int = MINUTES) -> Traffic:
    """The whole minutes before the current one and the current one so far, the organizations'
    keys, and the windows of the keys counted."""
    seconds, micros = client.time()
    now_ms = seconds * 1000 + micros // 1000
    current = seconds // 60
    pipe = client.pipeline(transaction=False)
    for minute in range(current - minutes, current + 1):
        pipe.hgetall(tally_key(minute))
    pipe.hgetall(ORGS_KEY)
    *tallies, orgs = pipe.execute()
    counted = [{k.decode(): int(v) for k, v in tally.items()} for tally in tallies]
    keys = sorted({key for tally in counted for key in tally})
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hmget(LIMITER_PREFIX + key, "limit", "sent", "end", "window")
    windows = {
        key: Window(None if limit is None else _int(limit), _int(sent), _int(end), _int(window))
        for key, (limit, sent, end, window) in zip(keys, pipe.execute(), strict=True)
        if sent is not None
    }
    orgs_keys = {int(k): v.decode() for k, v in orgs.items()}
    return Traffic(now_ms, tuple(counted[:-1]), counted[-1], orgs_keys, windows)
