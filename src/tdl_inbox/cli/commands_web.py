"""``serve``: the graders' web workspace (Starlette, served by uvicorn)."""

from __future__ import annotations

import click

from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.errors import ConfigError

LOCAL_NAMES = {"localhost"}


def _loopback(host: str) -> bool:
    import ipaddress

    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: web.port, 8470).")
@pass_state
def serve_cmd(state: CliState, host: str | None, port: int | None) -> None:
    """Serve the graders' web workspace on web.host:web.port until stopped."""
    web = state.settings().web
    host, port = host or web.host, port or web.port
    if not _loopback(host) and not (web.base_url or "").startswith("https://"):
        raise ConfigError(
            f"refusing to listen on {host}: a non-loopback address needs web.base_url = "
            '"https://..." (a TLS reverse proxy in front); or use 127.0.0.1 and an SSH tunnel'
        )
    import uvicorn

    from tdl_inbox.web.app import create_app

    site = create_app(state.app())
    uvicorn.run(site, host=host, port=port, proxy_headers=True, log_level="info")


COMMANDS = [serve_cmd]
