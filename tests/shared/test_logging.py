"""Logging: one redacting chain for structlog and stdlib records, checked on the rendered output."""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import structlog

from shared.config import Settings
from shared.errors import UpstreamError
from shared.logging import (
    HANDLER_NAME,
    MASK,
    SHARED_PROCESSORS,
    LogConfig,
    configure_logging,
    redact_secrets,
    register_secret,
)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo configure_logging: remove (and close) our root handler, reset structlog."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture(params=["console", "json"])
def log_format(request: pytest.FixtureRequest) -> str:
    """Each output test runs with both renderers."""
    return str(request.param)


@pytest.fixture
def token() -> str:
    """A fresh employee token, as the worker would register after decrypting it."""
    return "emp-" + secrets.token_urlsafe(24)


@pytest.fixture
def out(log_format: str, token: str, tmp_path: Path) -> io.StringIO:
    """Logging configured as an entry point would, writing to a StringIO we read back."""
    env = {"LEDGERSYNC_LOG_FORMAT": log_format, "LEDGERSYNC_HOME": str(tmp_path)}
    stream = io.StringIO()
    configure_logging(
        Settings.from_env(env), LogConfig(stream=stream, secrets=(token,), cache_loggers=False)
    )
    return stream


def redact(**event: Any) -> dict[str, Any]:
    """Run the processor alone, as the chain does."""
    return dict(redact_secrets(None, "info", event))


# --- a known token in every place it can hide, through both renderers ---


def test_token_in_an_event_field(out: io.StringIO, token: str) -> None:
    structlog.get_logger("worker.actors").info("job.started", note=f"using {token} for acme")
    text = out.getvalue()
    assert token not in text
    assert "job.started" in text
    assert f"using {MASK} for acme" in text


def test_token_in_the_event_message(out: io.StringIO, token: str) -> None:
    structlog.get_logger("worker.actors").info(f"validated {token} for org 42")
    text = out.getvalue()
    assert token not in text
    assert f"validated {MASK} for org 42" in text


def test_token_in_an_exception_message_with_traceback(out: io.StringIO, token: str) -> None:
    log = structlog.get_logger("worker.actors")
    try:
        raise UpstreamError(f"Tripletex refused {token} (401)", status=401)
    except UpstreamError:
        log.exception("token.check_failed")
    text = out.getvalue()
    assert token not in text
    assert "token.check_failed" in text
    assert "Traceback (most recent call last)" in text
    assert f"UpstreamError: Tripletex refused {MASK} (401)" in text


def test_token_in_a_url_query_and_as_a_url_password(out: io.StringIO, token: str) -> None:
    unregistered = secrets.token_hex(12)
    url = (
        "https://api.tripletex.io/v2/token/session/:create"
        f"?consumerToken={unregistered}&employeeToken={token}&expirationDate=2030-01-01"
    )
    target = f"postgresql://ledger:{token}@db.internal:5432/ledgersync"
    structlog.get_logger("worker.http").info("upstream.call", url=url, target=target)
    text = out.getvalue()
    assert token not in text
    assert unregistered not in text
    assert f"consumerToken={MASK}&employeeToken={MASK}&expirationDate=2030-01-01" in text
    assert "https://api.tripletex.io/v2/token/session/:create?" in text
    assert f"postgresql://ledger:{MASK}@db.internal:5432/ledgersync" in text


def test_token_in_an_authorization_basic_value(out: io.StringIO, token: str) -> None:
    credentials = base64.b64encode(f"0:{token}".encode()).decode()
    structlog.get_logger("worker.http").info(
        "http.request", line=f"Authorization: Basic {credentials}", accept="application/json"
    )
    text = out.getvalue()
    assert credentials not in text
    assert token not in text
    assert f"Authorization: Basic {MASK}" in text
    assert "application/json" in text


def test_token_in_a_stdlib_record_with_percent_args(out: io.StringIO, token: str) -> None:
    url = f"https://api.tripletex.io/v2/company?session={token}"
    logging.getLogger("aiohttp.client").warning("retrying %s after %s", url, "ServerDisconnected")
    text = out.getvalue()
    assert token not in text
    assert "aiohttp.client" in text
    assert "warning" in text
    assert f"retrying https://api.tripletex.io/v2/company?session={MASK} after" in text
    assert "ServerDisconnected" in text


def test_token_in_a_stdlib_record_with_exc_info(out: io.StringIO, token: str) -> None:
    try:
        raise ConnectionError(f"lost connection while using {token}")
    except ConnectionError:
        logging.getLogger("asyncpg.pool").error("pool %s broke", "main", exc_info=True)
    text = out.getvalue()
    assert token not in text
    assert "pool main broke" in text
    assert "Traceback (most recent call last)" in text
    assert f"ConnectionError: lost connection while using {MASK}" in text


def test_token_in_a_nested_dict_and_list(out: io.StringIO, token: str, log_format: str) -> None:
    payload = {"companies": [{"id": 7, "note": f"k={token}"}], "pair": ("acme", token)}
    structlog.get_logger("worker.actors").info("job.payload", payload=payload)
    text = out.getvalue()
    assert token not in text
    assert "acme" in text
    if log_format == "json":
        assert json.loads(text)["payload"] == {
            "companies": [{"id": 7, "note": f"k={MASK}"}],
            "pair": ["acme", MASK],
        }


def test_sensitive_keys_are_masked_by_name(out: io.StringIO, log_format: str) -> None:
    values = {
        "employeeToken": "e-value-1",
        "session_token": "s-value-2",
        "Authorization": "Basic eHl6Ono=",
        "password": "p-value-3",
        "api_key": "k-value-4",
        "database_dsn": "d-value-5",
        "cookie": "c-value-6",
        "client_secret": "x-value-7",
    }
    structlog.get_logger("worker.http").info("creds.loaded", org="acme", **values)
    text = out.getvalue()
    for key, value in values.items():
        assert value not in text
        assert key in text
    assert "acme" in text
    if log_format == "json":
        line = json.loads(text)
        assert {key: line[key] for key in values} == dict.fromkeys(values, MASK)


def test_short_harmless_strings_are_untouched(out: io.StringIO, log_format: str) -> None:
    register_secret("acme")  # too short to register: would mask ordinary words
    fields = {"org": "acme", "status": "ok", "rows": 3, "path": "/v2/ledger/posting?count=1000"}
    structlog.get_logger("worker.actors").info("job.done", **fields)
    text = out.getvalue()
    assert MASK not in text
    if log_format == "json":
        line = json.loads(text)
        assert {key: line[key] for key in fields} == fields
        assert (line["event"], line["level"], line["logger"]) == (
            "job.done",
            "info",
            "worker.actors",
        )
    else:
        assert "acme" in text
        assert "/v2/ledger/posting?count=1000" in text


def test_contextvars_are_merged(out: io.StringIO) -> None:
    with structlog.contextvars.bound_contextvars(message_id="msg-0042", actor="import_ledger"):
        structlog.get_logger("worker.actors").info("job.started")
    text = out.getvalue()
    assert "msg-0042" in text
    assert "import_ledger" in text


# --- configuration ---


def test_one_chain_with_contextvars_first_and_redaction_last() -> None:
    assert SHARED_PROCESSORS[0] is structlog.contextvars.merge_contextvars
    assert SHARED_PROCESSORS[-1] is redact_secrets


def test_configuring_twice_keeps_one_handler(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, log_format="json")
    root = logging.getLogger()
    before = len(root.handlers)
    first, second = io.StringIO(), io.StringIO()
    configure_logging(settings, LogConfig(stream=first, cache_loggers=False))
    configure_logging(settings, LogConfig(stream=second, cache_loggers=False))
    structlog.get_logger("worker").info("after.reconfigure")
    assert len([h for h in root.handlers if h.name == HANDLER_NAME]) == 1
    assert len(root.handlers) == before + 1
    assert first.getvalue() == ""
    assert second.getvalue().count("after.reconfigure") == 1


def test_a_file_gets_json_by_default(tmp_path: Path, token: str) -> None:
    file = tmp_path / "logs" / "tui.log"
    config = LogConfig(file=file, secrets=(token,), cache_loggers=False)
    configure_logging(Settings(home=tmp_path), config)
    structlog.get_logger("tui").info("screen.opened", note=f"with {token}")
    line = json.loads(file.read_text(encoding="utf-8"))
    assert (line["event"], line["note"]) == ("screen.opened", f"with {MASK}")


def test_a_terminal_gets_the_console_renderer(tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    configure_logging(Settings(home=tmp_path), LogConfig(stream=stream, cache_loggers=False))
    structlog.get_logger("worker").info("job.started", org="acme")
    text = stream.getvalue()
    assert "job.started" in text
    assert "\x1b[" in text  # colours
    assert not text.startswith("{")


def test_a_file_and_a_stream_together_are_refused(tmp_path: Path) -> None:
    both = LogConfig(file=tmp_path / "x.log", stream=io.StringIO())
    with pytest.raises(ValueError, match="file or a stream"):
        configure_logging(Settings(home=tmp_path), both)


def test_settings_secrets_are_registered(tmp_path: Path) -> None:
    consumer, db_password = "consumer-" + secrets.token_hex(8), "pg-" + secrets.token_hex(8)
    settings = Settings(
        home=tmp_path,
        consumer_token=consumer,
        database_url=f"postgresql://ledger:{db_password}@db/ledgersync",
        log_format="json",
    )
    stream = io.StringIO()
    configure_logging(settings, LogConfig(stream=stream, cache_loggers=False))
    structlog.get_logger("worker").info(f"validating {consumer}", auth=f"AUTH {db_password}")
    line = json.loads(stream.getvalue())
    assert (line["event"], line["auth"]) == (f"validating {MASK}", f"AUTH {MASK}")


# --- the processor alone ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redis://:hunter2-xyz@localhost:6379/0", "redis://:***@localhost:6379/0"),
        ("postgresql://ledger:p@ss-w0rd@db:5432/x", "postgresql://ledger:***@db:5432/x"),
        (
            "/v2/token/session/:create?consumerToken=abc&employeeToken=def&expirationDate=2030",
            "/v2/token/session/:create?consumerToken=***&employeeToken=***&expirationDate=2030",
        ),
        ("GET /v2/company?token=abc123 200", "GET /v2/company?token=*** 200"),
        ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer ***"),
        ("sent Basic dXNlcjpwYXNz to upstream", "sent Basic *** to upstream"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "{'Authorization': 'Basic ***'}"),
        (
            "BasicAuth(login='0', password='s3cr3t-value', encoding='latin1')",
            "BasicAuth(login='0', password='***', encoding='latin1')",
        ),
        ('{"token": "abc123", "id": 7}', '{"token": "***", "id": 7}'),
        ("Cookie: a=1; sid=2", "Cookie: ***"),
        ("X-Api-Key: k-123", "X-Api-Key: ***"),
        ("job.done", "job.done"),
        ("company 42 imported 1000 postings", "company 42 imported 1000 postings"),
        (
            "https://tripletex.no/v2/ledger?from=0&count=1000",
            "https://tripletex.no/v2/ledger?from=0&count=1000",
        ),
        ("user@example.com via https://host/path", "user@example.com via https://host/path"),
    ],
)
def test_secrets_by_shape(text: str, expected: str) -> None:
    assert redact(event=text)["event"] == expected


def test_registered_values_are_masked_raw_quoted_and_base64() -> None:
    value = "a/b+c=" + secrets.token_hex(10)
    register_secret(value)
    for prefix in ("0", "12345", "987"):
        basic = base64.b64encode(f"{prefix}:{value}".encode()).decode()
        assert value[6:] not in redact(event=f"creds {basic} end")["event"]
    assert redact(event=f"x {quote(value, safe='')} y")["event"] == f"x {MASK} y"
    assert redact(event=f"x{value}y")["event"] == f"x{MASK}y"


def test_containers_keep_their_shape_and_objects_are_masked_through_repr(token: str) -> None:
    register_secret(token)
    event = redact(pair=("a", token), items=[1, None, True], error=ValueError(f"bad {token}"))
    assert event == {
        "pair": ("a", MASK),
        "items": [1, None, True],
        "error": f"ValueError('bad {MASK}')",
    }
    untouched = ValueError("harmless")
    assert redact(error=untouched)["error"] is untouched


def test_sensitive_key_keeps_none_and_booleans() -> None:
    assert redact(consumer_token=None, has_token=True, token_count=3) == {
        "consumer_token": None,
        "has_token": True,
        "token_count": MASK,
    }


def test_meta_keys_are_passed_through() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", (), None)
    assert redact(_record=record, event="e")["_record"] is record


def _register_all(values: list[str]) -> None:
    for value in values:
        register_secret(value)


def test_register_secret_is_thread_safe() -> None:
    values = [[f"thread{t}-" + secrets.token_hex(12) for _ in range(200)] for t in range(8)]
    threads = [threading.Thread(target=_register_all, args=(vs,)) for vs in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = " ".join(v for vs in values for v in vs)
    assert set(redact(event=text)["event"].split()) == {MASK}
