"""Password hashing compatible with Better-Auth 1.3 (the web platform's sign-in), Qt-free.

Stored form: ``hex(salt) + ":" + hex(key)`` where the salt is 16 random bytes written as 32
lower-case hex characters, and ``key = scrypt(NFKC(password), salt=<those 32 hex chars as ASCII>,
N=16384, r=16, p=1, dkLen=64)``. Better-Auth uses the *hex string* as the salt, not the raw bytes;
getting that wrong produces hashes the web platform rejects. One password then works in both the
web platform and the desktop client.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import unicodedata

SCRYPT_N = 16384
SCRYPT_R = 16
SCRYPT_P = 1
KEY_LENGTH = 64
# scrypt needs 128·r·(N+2) bytes (~32 MiB) plus a little; hashlib's default cap is exactly 32 MiB.
SCRYPT_MAXMEM = 64 * 1024 * 1024

MIN_LENGTH = 8
MAX_LENGTH = 128
PASSPHRASE_LENGTH = 16

_HEX = frozenset(string.hexdigits)


def _derive(password: str, salt: str) -> bytes:
    return hashlib.scrypt(
        unicodedata.normalize("NFKC", password).encode("utf-8"),
        salt=salt.encode("utf-8"),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=KEY_LENGTH,
        maxmem=SCRYPT_MAXMEM,
    )


def derive_key(password: str, salt: str) -> str:
    """The hex key part of a Better-Auth hash for `salt`: what the server compares when a
    web-created user proves their password without the hash ever leaving the database."""
    return _derive(password, salt).hex()


def hash_password(password: str) -> str:
    """Hash for `account.password` (takes ~50-100 ms by design; don't call it in loops).

    Does not check the length rules: call `validate_password` first where a user chose it.
    """
    salt = secrets.token_hex(16)
    return f"{salt}:{_derive(password, salt).hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True if `password` matches a Better-Auth scrypt hash.

    Never raises: anything else in the column (bcrypt or SHA-256 hashes written by some platform
    scripts, empty or truncated values) simply doesn't match, as it can't on the web either.
    """
    if not isinstance(password, str) or not isinstance(stored, str):
        return False
    parts = stored.split(":")
    if len(parts) != 2:
        return False
    salt, key_hex = parts
    if not salt or len(key_hex) != 2 * KEY_LENGTH or not _HEX.issuperset(key_hex):
        return False
    try:
        derived = _derive(password, salt)
    except (ValueError, UnicodeError, MemoryError):
        return False
    return hmac.compare_digest(derived, bytes.fromhex(key_hex))


def password_length(password: str) -> int:
    """Length as the web platform counts it (JavaScript `length`: UTF-16 code units)."""
    return len(password.encode("utf-16-le")) // 2


def _character_classes(password: str) -> int:
    kinds = (str.islower, str.isupper, str.isdigit)
    found = {i for ch in password for i, kind in enumerate(kinds) if kind(ch)}
    if any(not (ch.islower() or ch.isupper() or ch.isdigit()) for ch in password):
        found.add(len(kinds))
    return len(found)


def validate_password(password: str, email: str | None = None) -> None:
    """Raise ValueError with a message for the user unless the password is one the platform
    accepts (8–128 characters) and hard to guess: three of lower case, upper case, digits and
    other characters, or a passphrase of 16 or more characters; never built on the e-mail.

    PostgreSQL has no lockout of its own, so a staff login role's password is what stands
    between a guesser with psql and the firm's data: the desktop asks more than the web."""
    if not isinstance(password, str):
        raise ValueError("The password must be text.")
    length = password_length(password)
    if length < MIN_LENGTH:
        raise ValueError(f"The password is too short: use at least {MIN_LENGTH} characters.")
    if length > MAX_LENGTH:
        raise ValueError(f"The password is too long: use at most {MAX_LENGTH} characters.")
    if "\x00" in password:
        raise ValueError("The password cannot contain a NUL character.")
    passphrase = length >= PASSPHRASE_LENGTH and len(set(password.casefold())) >= 6
    if not passphrase and _character_classes(password) < 3:
        raise ValueError(
            "The password is too easy to guess: mix upper and lower case letters, digits and "
            f"symbols (three of the four), or use a passphrase of {PASSPHRASE_LENGTH} or more "
            "characters."
        )
    local = (email or "").split("@")[0].casefold()
    if len(local) >= 3 and local in password.casefold():
        raise ValueError("The password must not contain your e-mail address.")
