"""Tokens at rest: authenticated encryption (Fernet) under LEDGERSYNC_SECRET_KEY.

The key may be a Fernet key or any passphrase (stretched with HKDF-SHA256). Several keys separated
by commas rotate: the first encrypts, any of them decrypts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.errors import ConfigError
from shared.logging import register_secret

#: HKDF context, so a passphrase used elsewhere does not yield the same key
KDF_INFO = b"ledgersync token encryption v1"
#: HKDF context of the key that fingerprints tokens (never the key that encrypts them)
FINGERPRINT_INFO = b"ledgersync token fingerprint v1"
#: a fingerprint's prefix: says what it is wherever it is shown (UI, command line, logs)
FINGERPRINT_PREFIX = "fp:"
#: the file holding the demo's generated key, under LEDGERSYNC_HOME
DEMO_KEY_FILE = "demo-secret.key"
#: a known plaintext whose ciphertext is kept in the database to recognise the right key
KEY_CHECK_PLAINTEXT = b"ledgersync key check"


class WrongSecretKey(ConfigError):
    """The configured key does not decrypt what was encrypted before."""


def _fernet_key(material: str) -> bytes:
    """A Fernet key from a Fernet key as given, or derived from a passphrase."""
    try:
        if len(base64.urlsafe_b64decode(material.encode())) == 32:
            return material.encode()
    except (binascii.Error, ValueError):
        pass
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KDF_INFO).derive(
        material.encode()
    )
    return base64.urlsafe_b64encode(derived)


class TokenCipher:
    """Encrypts and decrypts tokens; never logs or shows them."""

    def __init__(self, secret_key: str) -> None:
        keys = [part.strip() for part in secret_key.split(",") if part.strip()]
        if not keys:
            raise ConfigError("LEDGERSYNC_SECRET_KEY is empty; set it to a long random string.")
        self._fernet = MultiFernet([Fernet(_fernet_key(key)) for key in keys])
        # the first key fingerprints, as it encrypts
        self._fingerprint_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=FINGERPRINT_INFO
        ).derive(keys[0].encode())

    def __repr__(self) -> str:
        return "TokenCipher(***)"

    def encrypt(self, token: str) -> bytes:
        """The token, encrypted and authenticated."""
        register_secret(token)
        return self._fernet.encrypt(token.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        """The token; WrongSecretKey when this key did not encrypt it."""
        try:
            token = self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:
            raise WrongSecretKey(
                "LEDGERSYNC_SECRET_KEY cannot decrypt the stored tokens: set the key they were "
                "stored with (nothing was changed)."
            ) from exc
        register_secret(token)
        return token

    def fingerprint(self, token: str) -> str:
        """A short, stable name for the token that reveals nothing of it: `fp:3k9x-q2m7`.

        40 bits of HMAC-SHA256 under a key derived from the secret key, in base32: two tokens
        differ (but for a one-in-a-trillion clash), and without the key not even a guessed token
        can be matched to it. Tokens stored before a key rotation keep the fingerprint they got.
        """
        digest = hmac.new(self._fingerprint_key, token.encode(), hashlib.sha256).digest()
        text = base64.b32encode(digest[:5]).decode().lower()
        return f"{FINGERPRINT_PREFIX}{text[:4]}-{text[4:]}"

    def key_check(self) -> bytes:
        """A ciphertext of a known value, to store once and verify the key against later."""
        return self._fernet.encrypt(KEY_CHECK_PLAINTEXT)

    def verify(self, key_check: bytes) -> None:
        """Raise WrongSecretKey unless this key made `key_check`."""
        if self.decrypt(key_check).encode() != KEY_CHECK_PLAINTEXT:
            raise WrongSecretKey("LEDGERSYNC_SECRET_KEY does not match the stored key check.")


def demo_secret_key(home: Path) -> str:
    """The demo's own key under LEDGERSYNC_HOME, generated on first use (readable by us only)."""
    path = home / DEMO_KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(Fernet.generate_key().decode() + "\n")
    key = path.read_text().strip()
    register_secret(key)
    return key
