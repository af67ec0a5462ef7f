"""What every command shares: the config location and the lazily built application.

Nothing heavy is imported here: ``tdl-inbox --help`` loads this module, and the config
(pydantic) and the application (SQLAlchemy, services) are imported when a command asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tdl_inbox.errors import TdlInboxError

if TYPE_CHECKING:
    from tdl_inbox.app import App
    from tdl_inbox.config.schema import Settings


@dataclass
class CliState:
    config_option: Path | None
    debug: bool = False
    _settings: Settings | None = field(default=None, init=False)
    _app: App | None = field(default=None, init=False)

    @property
    def config_path(self) -> Path:
        from tdl_inbox.config.loading import find_config

        return find_config(self.config_option)

    def settings(self) -> Settings:
        if self._settings is None:
            from tdl_inbox.config.loading import load_config

            self._settings = load_config(self.config_path)
        return self._settings

    def app(self, *, require_schema: bool = True) -> App:
        if self._app is None:
            from tdl_inbox.app import build_app

            self._app = build_app(self.settings(), require_schema=require_schema)
        return self._app

    def app_for_assignment(self, assignment: str | None) -> App:
        """The app, after checking that ``--assignment`` names a configured assignment."""
        app = self.app()
        if assignment is not None and assignment not in app.ctx.assignments:
            raise TdlInboxError(f"unknown assignment {assignment} (see `tdl-inbox assignments`)")
        return app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


pass_state = click.make_pass_decorator(CliState)
