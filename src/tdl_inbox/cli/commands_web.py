"""``serve``: the graders' web workspace (Starlette, served by uvicorn)."""

from __future__ import annotations

import click

from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.errors import ConfigError


@click.command("serve")
@click.option("--host", help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: web.port, 8470).")
@pass_state
def serve_cmd(state: CliState, host: str | None, port: int | None) -> None:
    """Serve the graders' web workspace on web.host:web.port until stopped."""
    from tdl_inbox.web.binding import refusal

    web = state.settings().web
    host, port = host or web.host, port or web.port
    problem = refusal(host, web.base_url)
    if problem is not None:
        raise ConfigError(problem)
    import uvicorn

    from tdl_inbox.web.app import create_app

    site = create_app(state.app())
    # proxy_headers: behind a local reverse proxy, the address throttled is the grader's.
    uvicorn.run(site, host=host, port=port, proxy_headers=True, log_level="info")


COMMANDS = [serve_cmd]
