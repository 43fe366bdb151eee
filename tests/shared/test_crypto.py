"""Token encryption: round trip, rotation, wrong keys refused clearly, nothing in the clear."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from shared.crypto import TokenCipher, WrongSecretKey, demo_secret_key
from shared.models import Method, Provider
from shared.orgs import NewOrg

TOKEN = "eyJ0b2tlbklkIjoxMjMsInRva2VuIjoiYWJjZGVmMTIzIn0="


@pytest.mark.parametrize("key", ["a passphrase of some length", Fernet.generate_key().decode()])
def test_round_trip_and_no_plaintext(key: str) -> None:
    cipher = TokenCipher(key)
    stored = cipher.encrypt(TOKEN)
    assert TOKEN.encode() not in stored
    assert cipher.decrypt(stored) == TOKEN
    assert cipher.encrypt(TOKEN) != stored, "a fresh IV every time"
    assert key not in repr(cipher)


def test_an_organization_to_register_never_shows_its_token() -> None:
    new = NewOrg("Bakeri AS", Method.API, Provider.TRIPLETEX, token=TOKEN)
    for text in (repr(new), str(new)):
        assert TOKEN not in text
        assert "Bakeri AS" in text  # not a secret: still shown


def test_wrong_key_is_a_clear_config_error() -> None:
    stored = TokenCipher("the right key").encrypt(TOKEN)
    with pytest.raises(WrongSecretKey, match="LEDGERSYNC_SECRET_KEY") as caught:
        TokenCipher("the wrong key").decrypt(stored)
    assert caught.value.exit_code == 2
    assert TOKEN not in str(caught.value)


def test_rotation_first_key_encrypts_any_decrypts() -> None:
    old = TokenCipher("old key").encrypt(TOKEN)
    rotated = TokenCipher("new key, old key")
    assert rotated.decrypt(old) == TOKEN
    assert TokenCipher("new key").decrypt(rotated.encrypt(TOKEN)) == TOKEN


def test_key_check_verifies_only_the_same_key() -> None:
    check = TokenCipher("k1").key_check()
    TokenCipher("k1").verify(check)
    with pytest.raises(WrongSecretKey):
        TokenCipher("k2").verify(check)


def test_demo_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = demo_secret_key(tmp_path)
    assert demo_secret_key(tmp_path) == first
    assert (tmp_path / "demo-secret.key").stat().st_mode & 0o077 == 0
    assert TokenCipher(first).decrypt(TokenCipher(first).encrypt(TOKEN)) == TOKEN


def test_empty_key_is_refused() -> None:
    with pytest.raises(Exception, match="empty"):
        TokenCipher(" , ")
