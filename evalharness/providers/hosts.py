"""Which machine a base URL points at: loopback (the data stays here) or anywhere else.

Used for two decisions: a client talking to a loopback server never goes through a proxy from the
environment (`HTTP_PROXY`/`HTTPS_PROXY` would carry "local" traffic off the machine), and an API key is only
sent to the hosts the operator tied it to (`[keys]` in the config).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def host_of(url: str | None) -> str:
    """The lower-cased host name of `url` without brackets ('' when there is none)."""
    if not url:
        return ""
    return (urlsplit(url).hostname or "").strip("[]").lower()


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str | None) -> bool:
    """True for http(s)://localhost…, 127.0.0.0/8 and ::1 — the request cannot leave this machine (as long as
    it goes out directly, without a proxy: see `trust_env`)."""
    return bool(url) and is_loopback_host(host_of(url))


def trust_env(url: str | None) -> bool:
    """Whether an HTTP client may take proxies (and other settings) from the environment for `url`.

    Never for loopback: through a proxy, a request to 127.0.0.1 reaches whatever the proxy is, so a "local"
    judge would no longer be local. Remote hosts keep the environment's proxy, which is the operator's choice.
    """
    return not is_loopback_url(url)


def host_matches(pattern: str, host: str) -> bool:
    """`pattern` is a host name (`api.openai.com`), `*.example.org` for any sub-domain, or an IP address."""
    pattern, host = pattern.strip().lower().strip("[]"), host.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return host == pattern
