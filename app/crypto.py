"""Encryption at rest of personal data, and the keyed hash used to look it up.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). DATA_KEYS lists
keys newest first: new values use the first, old values still decrypt with
any, and `rotate` re-encrypts them under the first. The look-up hash uses its
own key (LOOKUP_HASH_KEY), which never rotates with DATA_KEYS, so finding a
person by national number keeps working across a rotation.
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.types import Text, TypeDecorator

_state = {"fernet": None, "newest": None, "hash_key": None}


class KeyError_(RuntimeError):
    """The keys are missing or malformed."""


def configure(data_keys, hash_key):
    """Install the keys for this process (called by the application factory)."""
    keys = [k.strip() for k in (data_keys or "").split(",") if k.strip()]
    if not keys:
        raise KeyError_("DATA_KEYS holds no key.")
    try:
        fernets = [Fernet(k) for k in keys]
        _state["fernet"] = MultiFernet(fernets)
        _state["newest"] = fernets[0]
    except ValueError as exc:
        raise KeyError_("DATA_KEYS holds a malformed key.") from exc
    if not hash_key:
        raise KeyError_("LOOKUP_HASH_KEY is empty.")
    _state["hash_key"] = hash_key.encode("utf-8")


def _fernet():
    if _state["fernet"] is None:
        raise KeyError_("encryption keys are not configured")
    return _state["fernet"]


def encrypt(text):
    if text is None:
        return None
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token):
    if token is None:
        return None
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise KeyError_("a value cannot be decrypted with the configured keys") from exc


def rotate(token):
    """Re-encrypt a value under the newest key."""
    if token is None:
        return None
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def is_current(token):
    """Whether a value is encrypted under the newest key already."""
    _fernet()
    try:
        _state["newest"].decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def lookup_hash(value):
    """Keyed hash of a normalised value (a national number), hex encoded."""
    if _state["hash_key"] is None:
        raise KeyError_("look-up key is not configured")
    return hmac.new(
        _state["hash_key"], value.encode("utf-8"), hashlib.sha256
    ).hexdigest()


class EncryptedText(TypeDecorator):
    """A text column stored encrypted; Python sees the plain value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return encrypt(value)

    def process_result_value(self, value, dialect):
        return decrypt(value)
