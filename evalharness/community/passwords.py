"""Password hashing with the standard library's scrypt, and the rules a new password must meet.

The stored string carries its own parameters and salt (`scrypt$n=…,r=…,p=…$salt$hash`), so the cost can be
raised later without breaking existing accounts: old hashes keep verifying with the parameters they name.
Passwords are NFC-normalised first: "â" typed as one character or as "a" + a combining accent is the same
password. New passwords need at least 12 characters, must not be one of the 30,000 most common passwords
(the list zxcvbn ships), and must get zxcvbn's strength estimate of 3 or more ("safely unguessable").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

SCHEME = "scrypt"
#: n=2**14, r=8 uses 16 MiB and ~50 ms here: slow enough to make guessing costly, quick enough for a sign-in.
DEFAULT_N, DEFAULT_R, DEFAULT_P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD_LENGTH = 12
#: zxcvbn's score: 3 is "safely unguessable: moderate protection from an offline slow-hash attack"
MIN_STRENGTH = 3


@dataclass(frozen=True)
class ScryptParams:
    n: int
    r: int
    p: int

    def maxmem(self) -> int:
        # scrypt needs 128 * n * r bytes; leave headroom so OpenSSL does not refuse it.
        return 128 * self.n * self.r * 2 + (1 << 20)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _nfc(password: str) -> bytes:
    return unicodedata.normalize("NFC", password).encode("utf-8")


def hash_password(password: str, params: ScryptParams | None = None) -> str:
    """A fresh per-user salt every time: two people with the same password get different hashes."""
    params = params or ScryptParams(DEFAULT_N, DEFAULT_R, DEFAULT_P)
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(_nfc(password), salt, params, KEY_BYTES)
    return f"{SCHEME}$n={params.n},r={params.r},p={params.p}${_b64(salt)}${_b64(key)}"


def _scrypt(secret: bytes, salt: bytes, params: ScryptParams, length: int) -> bytes:
    return hashlib.scrypt(secret, salt=salt, n=params.n, r=params.r, p=params.p, maxmem=params.maxmem(), dklen=length)


def parse_hash(stored: str) -> tuple[ScryptParams, bytes, bytes]:
    """Split a stored hash into parameters, salt and key; ValueError if it is not one of ours."""
    scheme, params_text, salt_text, key_text = stored.split("$")
    if scheme != SCHEME:
        raise ValueError(f"unknown password scheme '{scheme}'")
    values = dict(part.split("=", 1) for part in params_text.split(","))
    params = ScryptParams(int(values["n"]), int(values["r"]), int(values["p"]))
    return params, base64.b64decode(salt_text), base64.b64decode(key_text)


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time comparison, so the time taken says nothing about how much of the key matched.

    `stored` None (no account, or an attempt that must fail) still costs one scrypt against a stand-in hash,
    so a failure takes as long whatever its cause. A hash made before passwords were normalised also accepts
    the password exactly as typed.
    """
    real = stored is not None
    try:
        params, salt, expected = parse_hash(stored if stored is not None else _dummy_hash())
    except (ValueError, KeyError):
        params, salt, expected = parse_hash(_dummy_hash())
        real = False
    ok = hmac.compare_digest(_scrypt(_nfc(password), salt, params, len(expected)), expected)
    raw = password.encode("utf-8")
    if not ok and real and raw != _nfc(password):
        ok = hmac.compare_digest(_scrypt(raw, salt, params, len(expected)), expected)
    return ok and real


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Spend one password check on nothing (kept for callers that only need the cost)."""
    verify_password(password, None)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def check_strength(password: str, *, user_inputs: Sequence[str] = ()) -> str | None:
    """None if acceptable, else what to change (shown to the admin creating the account)."""
    text = unicodedata.normalize("NFC", password)
    if len(text) < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters (a few words in a row make a good one)"
    if text.strip() != text:
        return "do not start or end the password with a space"
    if text.casefold() in _common():
        return "this is one of the most common passwords; choose another"
    from zxcvbn import zxcvbn

    estimate = zxcvbn(text, user_inputs=[u for u in user_inputs if u])
    if estimate["score"] < MIN_STRENGTH:
        advice = " ".join(
            x for x in [estimate["feedback"].get("warning") or "", *estimate["feedback"].get("suggestions", [])] if x
        )
        return "too easy to guess" + (f": {advice}" if advice else "; add another uncommon word")
    return None
