"""Structured logging: one processor chain for structlog and the standard library, redacted last."""

from __future__ import annotations

import base64
import logging
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TextIO
from urllib.parse import quote, urlsplit

import structlog
from structlog.stdlib import ProcessorFormatter
from structlog.typing import EventDict, Processor, WrappedLogger

from shared.config import Settings

#: what a secret becomes in the output
MASK = "***"
#: registered secrets shorter than this are ignored: they would mask ordinary words
MIN_SECRET_LENGTH = 8
#: name of the root handler `configure_logging` installs (and replaces when called again)
HANDLER_NAME = "ledgersync"

#: key names (lower-cased, without "_" and "-") whose values are never logged
_SENSITIVE_KEY = re.compile(r"passw(?:or)?d|token|secret|authorization|apikey|dsn|cookie")
_KEYWORD = r"passw(?:or)?d|token|secret|authorization|api[_-]?key|dsn"
_SEPARATOR = r"[\"']?\s*[=:]\s*[\"']?"
#: secrets by shape, inside any string: URL passwords, cookies, key=value pairs, auth headers
_PATTERN = re.compile(
    r"(?P<url>://[^\s/?#@:]*:)[^\s/?#]+(?=@)"
    rf"|(?P<cookie>(?i:(?:set-)?cookie){_SEPARATOR})[^\r\n\"']+"
    rf"|(?P<param>(?i:{_KEYWORD})[\w.-]*{_SEPARATOR})"
    r"(?P<scheme>(?:Basic|Bearer)\s+)?[^\s\"'&#,;<>()\[\]{}]+"
    r"|\b(?P<auth>Basic|Bearer)\s+[A-Za-z0-9+/._~-]+=*"
)
#: every match of _PATTERN holds one of these (lower-cased), or both "://" and "@"
_TRIGGERS = (
    "token",
    "passw",
    "secret",
    "authorization",
    "apikey",
    "api_key",
    "api-key",
    "dsn",
    "cookie",
    "basic",
    "bearer",
)
#: event-dict keys that belong to structlog's machinery, not to the event
_META_KEYS = frozenset({"_record", "_from_structlog"})
#: nesting depth past which a value is masked as its repr
_MAX_DEPTH = 12
#: length of the grams that index registered secrets (any occurrence holds an aligned one)
_GRAM = MIN_SECRET_LENGTH // 2


class _SecretRegistry:
    """Known secret values, found in text through an index of their aligned 4-character grams."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: set[str] = set()
        self._index: dict[str, tuple[str, ...]] = {}

    def add(self, value: str) -> None:
        """Index the value and its encoded forms; entries are replaced whole (lock-free reads)."""
        with self._lock:
            for form in _forms_of(value) - self._forms:
                self._forms.add(form)
                for gram in {form[offset : offset + _GRAM] for offset in range(_GRAM)}:
                    self._index[gram] = (*self._index.get(gram, ()), form)

    def mask(self, text: str) -> str:
        """Replace every registered form found in text, longest first."""
        index = self._index
        if not index:
            return text
        grams = {text[start : start + _GRAM] for start in range(0, len(text) - _GRAM + 1, _GRAM)}
        # One C-level intersection: under the GIL it is atomic with respect to `add`.
        found = {form for gram in grams & index.keys() for form in index[gram]}
        for form in sorted(found, key=len, reverse=True):
            text = text.replace(form, MASK)
        return text


def _forms_of(value: str) -> set[str]:
    """The value raw, URL-quoted, and base64-encoded after any prefix (as in `Basic 0:value`)."""
    forms = {value, quote(value, safe="")}
    raw = value.encode()
    for skip in range(3):
        chunk = raw[skip:]
        forms.add(base64.b64encode(chunk[: len(chunk) // 3 * 3]).decode())
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


_REGISTRY = _SecretRegistry()


def register_secret(value: str) -> None:
    """Mask this value (and its URL-quoted and base64 forms) in every later log line."""
    if len(value) >= MIN_SECRET_LENGTH:
        _REGISTRY.add(value)


def redact_secrets(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Mask secrets anywhere in the event: by key name, by shape and by registered value."""
    return {
        key: value if key in _META_KEYS else _redact_entry(key, value, 0)
        for key, value in event_dict.items()
    }


@lru_cache(maxsize=4096)
def _is_sensitive_key(key: str) -> bool:
    """Whether a key names a secret (`employeeToken`, `api_key`, `Authorization`, ...)."""
    return _SENSITIVE_KEY.search(key.lower().replace("_", "").replace("-", "")) is not None


def _redact_entry(key: object, value: object, depth: int) -> object:
    """Mask the whole value under a sensitive key, else redact it by content."""
    if isinstance(key, str) and _is_sensitive_key(key):
        return value if value is None or isinstance(value, bool) else MASK
    return _redact(value, depth)


def _redact(value: object, depth: int) -> object:
    """Redact strings, walk containers, and mask other objects through their repr."""
    if isinstance(value, str):
        masked = _mask_text(value)
        return value if masked == value else masked
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= _MAX_DEPTH:
        return _mask_text(repr(value))
    if isinstance(value, Mapping):
        return {_redact(k, depth): _redact_entry(k, v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [_redact(item, depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    text = repr(value)
    masked = _mask_text(text)
    return value if masked == text else masked


def _mask_text(text: str) -> str:
    """Mask registered secret values first, then secrets recognised by their shape."""
    if len(text) >= MIN_SECRET_LENGTH:
        text = _REGISTRY.mask(text)
    return _PATTERN.sub(_mask_match, text) if _may_match(text) else text


def _may_match(text: str) -> bool:
    """A cheap test that skips the regex for the many strings it cannot match."""
    lowered = text.lower()
    for trigger in _TRIGGERS:
        if trigger in lowered:
            return True
    return "://" in lowered and "@" in lowered


def _mask_match(match: re.Match[str]) -> str:
    """Keep what names the secret (URL user, key, auth scheme) and mask the secret itself."""
    if match["auth"]:
        return f"{match['auth']} {MASK}"
    head = match["url"] or match["cookie"] or match["param"] or ""
    return f"{head}{match['scheme'] or ''}{MASK}"


#: the chain every event goes through, from structlog and from the standard library alike
SHARED_PROCESSORS: tuple[Processor, ...] = (
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
    redact_secrets,
)


@dataclass(frozen=True, slots=True)
class LogConfig:
    """Where `configure_logging` writes, and what it adds to the settings' own secrets."""

    #: append to this file (JSON unless the settings ask for the console)
    file: Path | None = None
    #: else write to this stream (None: stderr)
    stream: TextIO | None = None
    #: more values to mask wherever they appear, beside the settings' own
    secrets: tuple[str, ...] = ()
    level: int = logging.INFO
    #: tests pass False so that they can reconfigure
    cache_loggers: bool = True


def configure_logging(settings: Settings, config: LogConfig = LogConfig()) -> None:
    """Route structlog and the standard library's loggers through one redacting handler.

    Call it once at an entry point; calling it again replaces the handler. Output goes to
    `config.file` if given, else to `config.stream` (default stderr). `settings.log_format`
    picks the renderer; unset, it is the console on a terminal and JSON otherwise.
    """
    file, stream, level = config.file, config.stream, config.level
    if file is not None and stream is not None:
        raise ValueError("configure_logging() takes a file or a stream, not both")
    for secret in (*settings.secret_values(), *_url_passwords(settings), *config.secrets):
        register_secret(secret)
    handler = _open_handler(file, stream)
    tty = file is None and (stream or sys.stderr).isatty()
    handler.setFormatter(
        ProcessorFormatter(
            foreign_pre_chain=SHARED_PROCESSORS,
            processors=[
                ProcessorFormatter.remove_processors_meta,
                _renderer(settings.log_format, tty),
            ],
        )
    )
    _install(handler, level)
    structlog.configure(
        processors=[*SHARED_PROCESSORS, ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=config.cache_loggers,
    )


def _url_passwords(settings: Settings) -> list[str]:
    """The passwords inside the database and Redis URLs, to mask even where they appear alone."""
    urls = (settings.database_url, settings.redis_url)
    return [password for url in urls if url and (password := urlsplit(url).password)]


def _open_handler(file: Path | None, stream: TextIO | None) -> logging.Handler:
    """A handler appending to the file, or writing to the stream (stderr by default)."""
    if file is None:
        return logging.StreamHandler(stream or sys.stderr)
    file.parent.mkdir(parents=True, exist_ok=True)
    return logging.FileHandler(file, encoding="utf-8")


def _renderer(log_format: str | None, tty: bool) -> Processor:
    """The console renderer on a terminal (or when asked for), JSON otherwise."""
    if (log_format or ("console" if tty else "json")) == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(
        colors=tty, exception_formatter=structlog.dev.plain_traceback
    )


def _install(handler: logging.Handler, level: int) -> None:
    """Make the handler the root logger's only ledgersync handler, closing the previous one."""
    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(previous)
        previous.close()
    handler.name = HANDLER_NAME
    root.addHandler(handler)
    root.setLevel(level)
