"""Pure parts of the sandbox: fields parser, paging walker, amounts, money, rate limiter, faults."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

import sandbox.__main__ as sandbox_cli
from sandbox.envelope import full_result_size
from sandbox.errors import ApiError
from sandbox.faults import Faults
from sandbox.fields import ALL, FieldsError, Selection, parse, unparse
from sandbox.paging import Slice, locate, walk
from sandbox.query import capped, paging
from sandbox.ratelimit import RateLimiter
from sandbox.render import money
from sandbox.templates import TEMPLATES, split, template_of, vat_of
from sandbox.tokens import decode, encode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ALL),
        ("", ALL),
        ("*", (Selection("*"),)),
        ("id,amount", (Selection("id"), Selection("amount"))),
        ("account(id, name)", (Selection("account", (Selection("id"), Selection("name"))),)),
        ("*,postings(*)", (Selection("*"), Selection("postings", (Selection("*"),)))),
        ("voucher()", (Selection("voucher", ALL),)),
        ("a(b(c)),d", (Selection("a", (Selection("b", (Selection("c"),)),)), Selection("d"))),
    ],
)
def test_fields_parse(text: str | None, expected: tuple[Selection, ...]) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["account(id", "id)", "a(b(c)", "id;name", "a b(c"])
def test_fields_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(FieldsError):
        parse(text)


def test_fields_unparse_round_trips() -> None:
    text = "id,account(id,name),voucher(*,postings(*))"
    assert unparse(parse(text)) == text


def test_walk_covers_offsets_across_buckets() -> None:
    counts = [(1, 3), (2, 0), (3, 5), (4, 2)]
    assert walk(counts, 0, 4) == [Slice(1, 0, 3), Slice(3, 0, 1)]
    assert walk(counts, 4, 10) == [Slice(3, 1, 5), Slice(4, 0, 2)]
    assert walk(counts, 10, 5) == []
    assert walk(counts, 2, 0) == []


def test_walk_pages_concatenate_to_everything() -> None:
    rng = random.Random(7)
    counts = [(day, rng.randint(0, 9)) for day in range(60)]
    items = [(day, i) for day, n in counts for i in range(n)]
    for size in (1, 7, 50, 1000):
        paged = [
            (s.key, i)
            for start in range(0, len(items) + size, size)
            for s in walk(counts, start, size)
            for i in range(s.start, s.stop)
        ]
        assert paged == items


def test_locate_finds_bucket_and_position() -> None:
    counts = [(10, 2), (11, 3)]
    assert locate(counts, 0) == (10, 0)
    assert locate(counts, 3) == (11, 1)
    assert locate(counts, 5) is None


def test_cap_passes_10000_and_refuses_10001() -> None:
    capped(10_000)
    with pytest.raises(ApiError) as refused:
        capped(10_001)
    assert (refused.value.status, refused.value.code) == (422, 23000)


def test_paging_defaults_and_clamps() -> None:
    assert paging({}) == (0, 1000)
    assert paging({"from": "5", "count": "20000"}) == (5, 10_000)
    for bad in ({"from": "-1"}, {"count": "-1"}, {"from": "x"}):
        with pytest.raises(ApiError):
            paging(bad)


def test_split_is_exact_and_positive() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        total, parts = rng.randint(100, 10**9), rng.randint(1, 6)
        shares = split(total, parts, rng.getrandbits(64))
        assert sum(shares) == total
        assert len(shares) == parts
        assert all(s > 0 for s in shares)


def test_every_template_balances_to_the_ore() -> None:
    rng = random.Random(11)
    seen = set()
    for _ in range(20_000):
        head, detail = rng.getrandbits(64), rng.getrandbits(64)
        template = template_of(head)
        seen.add(template.kind)
        lines = template.lines(head, detail)
        amounts = [line.amount for line in lines]
        assert sum(amounts) == 0, template.kind
        assert len(lines) == template.size(head)
        assert 2 <= len(lines) <= 6
        assert all(a != 0 for a in amounts)
        assert sum(a for a in amounts if a > 0) == template.debit(head)
    assert seen == {t.kind for t in TEMPLATES}


def test_vat_rounds_half_up() -> None:
    assert vat_of(400) == 100
    assert vat_of(2) == 1
    assert vat_of(1) == 0


@pytest.mark.parametrize(
    ("ore", "text"),
    [(0, "0.0"), (150000, "1500.0"), (-1250, "-12.5"), (305, "3.05"), (-1, "-0.01"), (99, "0.99")],
)
def test_money_renders_at_most_two_decimals(ore: int, text: str) -> None:
    assert money(ore) == text
    assert Decimal(text) * 100 == ore


def test_token_strings_are_padded_base64_json() -> None:
    value = encode(40001, "b44d9d88-0fb0-4413-ba41-12ccaeb2bdf3")
    assert decode(value) == (40001, "b44d9d88-0fb0-4413-ba41-12ccaeb2bdf3")
    assert decode("not a token") is None


def test_rate_limiter_windows_and_headers() -> None:
    now = [100.0]
    limiter = RateLimiter(2, 10, clock=lambda: now[0])
    first = limiter.hit("a")
    assert (first.allowed, first.remaining, first.reset) == (True, 1, 10)
    assert limiter.hit("a").allowed
    refused = limiter.hit("a")
    assert not refused.allowed
    assert "X-Rate-Limit-Reset" not in refused.headers()
    assert refused.headers()["X-Rate-Limit-Remaining"] == "0"
    assert limiter.hit("b").allowed
    now[0] += 10
    assert limiter.hit("a").allowed


def test_faults_validate_every_knob() -> None:
    faults = Faults().updated({"error_share": 0.5, "rate_limit": 10.0, "session_ttl": None})
    assert faults.error_share == 0.5
    assert faults.rate_limit == 10
    assert isinstance(faults.rate_limit, int)
    with pytest.raises(ValueError, match="error_share") as caught:
        Faults().updated({"error_share": 2, "nope": 1, "delay_ms": -1})
    assert "nope" in str(caught.value)
    assert "delay_ms" in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "total", "start", "count", "expected"),
    [
        ("lookahead", 2500, 0, 1000, 1001),
        ("lookahead", 2500, 2000, 500, 2500),
        ("lookahead", 2000, 1000, 1000, 2000),
        ("lookahead", 0, 0, 0, 0),
        ("lookahead", 10, 20, 0, 20),
        ("exact", 2500, 0, 1, 2500),
        ("inexact", 2500, 0, 1, 1666),
    ],
)
def test_full_result_size_modes(
    mode: str, total: int, start: int, count: int, expected: int
) -> None:
    assert full_result_size(mode, total, start, count) == expected


def test_faults_refuse_an_unknown_full_result_size() -> None:
    with pytest.raises(ValueError, match="full_result_size"):
        Faults(full_result_size="roughly")
    assert Faults(inexact_total=True).full_result_size == "inexact"
    assert Faults().updated({"inexact_total": True}).full_result_size == "inexact"


def test_rate_limit_usage_counts_full_windows_and_the_time_between_them() -> None:
    from sandbox.ratelimit import usage

    # three full windows of 10 requests per 2 s, back to back, then a short last one
    assert usage([[0.0, 10], [2.0, 10], [4.0, 10], [6.0, 3]], 10, 2.0) == 1.0
    # the same requests, but each window opened a second late: time lost counts too
    assert usage([[0.0, 10], [3.0, 10], [6.0, 10], [9.0, 3]], 10, 2.0) == 30 / 45
    assert usage([[0.0, 4]], 10, 2.0) is None


def test_the_limiter_remembers_windows_and_what_it_served() -> None:
    from sandbox.ratelimit import RateLimiter

    now = [0.0]
    limiter = RateLimiter(2, 1.0, clock=lambda: now[0])
    for at in (0.0, 0.1, 0.2, 1.0, 1.5):
        now[0] = at
        limiter.hit("k")
    assert [list(w) for w in limiter.history["k"]] == [[0.0, 2], [1.0, 2]]


def test_every_sandbox_option_says_what_it_does() -> None:
    options = [a for a in sandbox_cli.parser()._actions if a.option_strings and a.dest != "help"]
    bare = [a.option_strings[0] for a in options if not (a.help or "").strip()]
    assert not bare, f"options without a help text: {bare}"
    assert len(options) >= 20
