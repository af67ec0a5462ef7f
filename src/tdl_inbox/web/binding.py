"""Where the workspace may listen: loopback, unless a TLS proxy stands in front of it."""

from __future__ import annotations

import ipaddress

LOCAL_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name could resolve anywhere


def refusal(host: str, base_url: str | None) -> str | None:
    """Why listening on ``host`` is refused, or None. A non-loopback address would carry
    passwords and cookies in clear text unless graders come through ``https://`` (a proxy)."""
    if is_loopback(host) or (base_url or "").startswith("https://"):
        return None
    return (
        f"refusing to listen on {host}: a non-loopback address needs web.base_url = "
        '"https://..." (a TLS reverse proxy in front); or use 127.0.0.1 and an SSH tunnel'
    )
