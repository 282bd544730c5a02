"""Passwords must stay interchangeable with the web platform (Better-Auth scrypt format)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pytest

from gcmc_desktop.services.passwords import hash_password, validate_password, verify_password

FORMAT = re.compile(r"^[0-9a-f]{32}:[0-9a-f]{128}$")

# A fixed vector: salt and key written out, so a change of parameters or of the salt encoding
# (hex string vs raw bytes) breaks this test even if hash and verify change together.
VECTOR_PASSWORD = "correct horse battery staple"
VECTOR_SALT = "0123456789abcdef0123456789abcdef"
VECTOR_KEY = (
    "e1034727d858e2fca8a705fe561781100520e78064f8d2bfa492937c58df02eb"
    "15d40233f809f179c7fb9863b8eb9dc5a8d2dc196c0b9733c05fa426f224856e"
)


def better_auth_key(password: str, salt_hex: str) -> str:
    """Better-Auth's derivation, written independently of the module under test."""
    return hashlib.scrypt(
        unicodedata.normalize("NFKC", password).encode("utf-8"),
        salt=salt_hex.encode("ascii"),
        n=16384,
        r=16,
        p=1,
        dklen=64,
        maxmem=128 * 1024 * 1024,
    ).hex()


def test_round_trip_and_format():
    stored = hash_password("Sup3r-secret!")
    assert FORMAT.match(stored)
    assert verify_password("Sup3r-secret!", stored)


def test_hash_uses_hex_salt_string_as_scrypt_salt():
    stored = hash_password("Sup3r-secret!")
    salt, key = stored.split(":")
    assert key == better_auth_key("Sup3r-secret!", salt)


def test_salts_are_random():
    assert hash_password("same password") != hash_password("same password")


def test_wrong_password_is_rejected():
    stored = hash_password("Sup3r-secret!")
    assert not verify_password("Sup3r-secret?", stored)
    assert not verify_password("", stored)


def test_known_vector():
    assert better_auth_key(VECTOR_PASSWORD, VECTOR_SALT) == VECTOR_KEY
    stored = f"{VECTOR_SALT}:{VECTOR_KEY}"
    assert verify_password(VECTOR_PASSWORD, stored)
    assert not verify_password(VECTOR_PASSWORD + " ", stored)


def test_verify_accepts_upper_case_hex_key():
    assert verify_password(VECTOR_PASSWORD, f"{VECTOR_SALT}:{VECTOR_KEY.upper()}")


def test_nfkc_normalisation():
    ligature = "\ufb01nance-2024"  # "ﬁ" ligature
    assert ligature != "finance-2024"
    stored = hash_password(ligature)
    assert verify_password("finance-2024", stored)
    assert verify_password(ligature, stored)
    # and the other way round; full-width digits normalise to ASCII digits too
    assert verify_password(ligature, hash_password("finance-2024"))
    assert verify_password("pass\uff11\uff12\uff13\uff14", hash_password("pass1234"))
    # composed and decomposed accents are the same password
    assert verify_password("caf\u00e9-caf\u00e9", hash_password("cafe\u0301-cafe\u0301"))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "no-colon-at-all",
        ":",
        f"{VECTOR_SALT}:",
        f":{VECTOR_KEY}",
        f"{VECTOR_SALT}:{VECTOR_KEY}:extra",
        f"{VECTOR_SALT}:{VECTOR_KEY[:-2]}",  # key too short
        f"{VECTOR_SALT}:{VECTOR_KEY}00",  # key too long
        f"{VECTOR_SALT}:{'g' * 128}",  # not hex
        f"{VECTOR_SALT}:{VECTOR_KEY[:-1]}\u00e9",  # non-ASCII
        "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",  # bcrypt
        hashlib.sha256(VECTOR_PASSWORD.encode()).hexdigest(),  # plain SHA-256
        f"sha256:{hashlib.sha256(VECTOR_PASSWORD.encode()).hexdigest()}",
    ],
)
def test_malformed_or_foreign_hashes_never_verify(stored):
    assert verify_password(VECTOR_PASSWORD, stored) is False


@pytest.mark.parametrize("stored", [None, 42, b"abc:def"])
def test_non_text_stored_values_never_verify(stored):
    assert verify_password(VECTOR_PASSWORD, stored) is False  # type: ignore[arg-type]


def test_non_text_password_never_verifies():
    assert verify_password(None, f"{VECTOR_SALT}:{VECTOR_KEY}") is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "password",
    [
        "Abcdef12",
        "Pässwörd-1",
        "x" * 100 + "Y1!",
        "\U0001f600\U0001f600aB34",
        "correct horse battery staple",  # a passphrase needs no symbols
    ],
)
def test_validate_accepts_8_to_128_hard_to_guess(password):
    validate_password(password)  # does not raise


@pytest.mark.parametrize(
    "password", ["12345678", "password", "x" * 128, "pässwörd", "aaaaaaaaaaaaaaaaaaaa"]
)
def test_validate_rejects_easy_to_guess(password):
    with pytest.raises(ValueError, match="too easy to guess"):
        validate_password(password)


def test_validate_rejects_the_email_in_the_password():
    with pytest.raises(ValueError, match="e-mail"):
        validate_password("Jane.Doe-2026", "jane.doe@firm.gy")
    validate_password("Jane.Doe-2026", "someone@firm.gy")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "too short"),
        ("1234567", "too short"),
        ("x" * 129, "too long"),
        # the platform counts UTF-16 code units: 65 emoji are 130 units
        ("\U0001f600" * 65, "too long"),
    ],
)
def test_validate_rejects_out_of_range(password, message):
    with pytest.raises(ValueError, match=message):
        validate_password(password)


def test_validate_rejects_non_text():
    with pytest.raises(ValueError):
        validate_password(None)  # type: ignore[arg-type]
