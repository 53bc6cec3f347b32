"""Passwords (argon2id) and API tokens (random secrets, stored only as their SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from stoppress.core.errors import Invalid

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD = 10
TOKEN_PREFIX = "sp_"
NAME_CHARS = set(string.ascii_letters + string.digits + "._-")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"The password must have at least {MIN_PASSWORD} characters.", field="password")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so a missing user is not told apart by timing.
        _check_dummy(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_dummy(password: str) -> None:
    try:
        _hasher.verify(_DUMMY, password)
    except (VerificationError, InvalidHashError):
        pass


_DUMMY = _hasher.hash("a password nobody has")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_user_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or not set(name) <= NAME_CHARS:
        raise Invalid(
            "A user name has 1 to 64 letters, digits, dots, dashes or underscores (no spaces).", field="name"
        )
    return name
