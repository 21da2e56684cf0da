"""Password hashing with the standard library's scrypt.

The stored string carries its own parameters and salt (`scrypt$n=…,r=…,p=…$salt$hash`), so the cost can be
raised later without breaking existing accounts: old hashes keep verifying with the parameters they name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache

SCHEME = "scrypt"
#: n=2**14, r=8 uses 16 MiB and ~50 ms here: slow enough to make guessing costly, quick enough for a sign-in.
DEFAULT_N, DEFAULT_R, DEFAULT_P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD_LENGTH = 8


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


def hash_password(password: str, params: ScryptParams | None = None) -> str:
    """A fresh per-user salt every time: two people with the same password get different hashes."""
    params = params or ScryptParams(DEFAULT_N, DEFAULT_R, DEFAULT_P)
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=params.n, r=params.r, p=params.p, maxmem=params.maxmem(), dklen=KEY_BYTES
    )
    return f"{SCHEME}$n={params.n},r={params.r},p={params.p}${_b64(salt)}${_b64(key)}"


def parse_hash(stored: str) -> tuple[ScryptParams, bytes, bytes]:
    """Split a stored hash into parameters, salt and key; ValueError if it is not one of ours."""
    scheme, params_text, salt_text, key_text = stored.split("$")
    if scheme != SCHEME:
        raise ValueError(f"unknown password scheme '{scheme}'")
    values = dict(part.split("=", 1) for part in params_text.split(","))
    params = ScryptParams(int(values["n"]), int(values["r"]), int(values["p"]))
    return params, base64.b64decode(salt_text), base64.b64decode(key_text)


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison, so the time taken says nothing about how much of the key matched."""
    try:
        params, salt, expected = parse_hash(stored)
    except (ValueError, KeyError):
        return False
    key = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=params.maxmem(),
        dklen=len(expected),
    )
    return hmac.compare_digest(key, expected)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Verify against a throwaway hash when the name is unknown, so a wrong name costs as long as a wrong
    password and the timing does not reveal which names have accounts."""
    verify_password(password, _dummy_hash())


def check_strength(password: str) -> str | None:
    """None if acceptable, else what to change (shown to the admin creating the account)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip() != password:
        return "do not start or end the password with a space"
    return None
