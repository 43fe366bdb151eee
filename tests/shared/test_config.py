"""Settings.from_env: defaults, one error naming every bad variable, and no secrets in repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import DEFAULT_TRIPLETEX_URL, Settings
from shared.errors import ConfigError

CONSUMER_TOKEN = "consumer-6f1d9c2a7e"
SECRET_KEY = "secret-key-0b3e58d4"
DATABASE_PASSWORD = "pg-pass-91ac"
REDIS_PASSWORD = "redis-pass-47fe"

FULL_ENV = {
    "LEDGERSYNC_HOME": "/srv/ledgersync",
    "LEDGERSYNC_DATABASE_URL": f"postgresql://ledger:{DATABASE_PASSWORD}@db:5432/ledgersync",
    "LEDGERSYNC_REDIS_URL": f"redis://:{REDIS_PASSWORD}@cache:6379/0",
    "LEDGERSYNC_TRIPLETEX_URL": "https://api.tripletex.io/v2",
    "LEDGERSYNC_CONSUMER_TOKEN": CONSUMER_TOKEN,
    "LEDGERSYNC_SECRET_KEY": SECRET_KEY,
    "LEDGERSYNC_LOG_FORMAT": "json",
}


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.home == Path("~/.local/share/ledgersync").expanduser()
    assert not str(settings.home).startswith("~")
    assert settings.tripletex_url == DEFAULT_TRIPLETEX_URL == "https://tripletex.no/v2"
    assert settings.database_url is None
    assert settings.redis_url is None
    assert settings.consumer_token is None
    assert settings.secret_key is None
    assert settings.log_format is None


def test_empty_variables_count_as_unset() -> None:
    env = dict.fromkeys(FULL_ENV, "")
    assert Settings.from_env(env) == Settings.from_env({})


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(FULL_ENV)
    assert settings.home == Path("/srv/ledgersync")
    assert settings.database_url == FULL_ENV["LEDGERSYNC_DATABASE_URL"]
    assert settings.redis_url == FULL_ENV["LEDGERSYNC_REDIS_URL"]
    assert settings.tripletex_url == "https://api.tripletex.io/v2"
    assert settings.consumer_token == CONSUMER_TOKEN
    assert settings.secret_key == SECRET_KEY
    assert settings.log_format == "json"
    assert settings.secret_values() == (CONSUMER_TOKEN, SECRET_KEY)


def test_home_is_expanded() -> None:
    settings = Settings.from_env({"LEDGERSYNC_HOME": "~/ledgers"})
    assert settings.home == Path.home() / "ledgers"


@pytest.mark.parametrize("url", ["https://api.tripletex.io/v2/", "https://api.tripletex.io/v2//"])
def test_trailing_slash_is_stripped_from_the_tripletex_url(url: str) -> None:
    settings = Settings.from_env({"LEDGERSYNC_TRIPLETEX_URL": url})
    assert settings.tripletex_url == "https://api.tripletex.io/v2"


def test_every_invalid_variable_is_named_in_one_error() -> None:
    env = {
        "LEDGERSYNC_LOG_FORMAT": "xml",
        "LEDGERSYNC_TRIPLETEX_URL": "ftp://tripletex.no/v2",
        "LEDGERSYNC_DATABASE_URL": "mysql://db/ledgersync",
        "LEDGERSYNC_REDIS_URL": "memcached://cache",
    }
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    message = str(raised.value)
    for name in env:
        assert name in message
    assert "'xml'" in message
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_valid_log_formats(log_format: str) -> None:
    assert Settings.from_env({"LEDGERSYNC_LOG_FORMAT": log_format}).log_format == log_format


def test_repr_never_shows_secrets() -> None:
    settings = Settings.from_env(FULL_ENV)
    for text in (repr(settings), str(settings)):
        for secret in (CONSUMER_TOKEN, SECRET_KEY, DATABASE_PASSWORD, REDIS_PASSWORD):
            assert secret not in text
        assert "https://api.tripletex.io/v2" in text  # not a secret: still shown


def test_require_names_every_missing_variable() -> None:
    settings = Settings.from_env({"LEDGERSYNC_DATABASE_URL": FULL_ENV["LEDGERSYNC_DATABASE_URL"]})
    with pytest.raises(ConfigError) as raised:
        settings.require("database_url", "redis_url", "consumer_token")
    message = str(raised.value)
    assert "LEDGERSYNC_REDIS_URL" in message
    assert "LEDGERSYNC_CONSUMER_TOKEN" in message
    assert "LEDGERSYNC_DATABASE_URL" not in message


def test_require_passes_when_everything_is_set() -> None:
    Settings.from_env(FULL_ENV).require("database_url", "redis_url", "consumer_token", "secret_key")


def test_with_servers_keeps_secrets_out_of_repr() -> None:
    settings = Settings.from_env({}).with_servers(
        FULL_ENV["LEDGERSYNC_DATABASE_URL"], FULL_ENV["LEDGERSYNC_REDIS_URL"]
    )
    assert settings.database_url == FULL_ENV["LEDGERSYNC_DATABASE_URL"]
    assert DATABASE_PASSWORD not in repr(settings)
    assert REDIS_PASSWORD not in repr(settings)
