"""The web workspace as an ASGI application: ``create_app(app)``.

Endpoints that touch the database are plain ``def`` functions, which Starlette runs in its
thread pool: the synchronous SQLAlchemy calls never block the event loop.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from tdl_inbox.app import App, web_secret
from tdl_inbox.services.operations.login_throttle import LoginThrottle
from tdl_inbox.web import (
    routes_admin,
    routes_api,
    routes_auth,
    routes_files,
    routes_gradebook,
    routes_queue,
    routes_submission,
)
from tdl_inbox.web.auth import Signer
from tdl_inbox.web.csrf import ApiCsrf
from tdl_inbox.web.headers import SecurityHeaders

STATIC = Path(__file__).with_name("static")


def create_app(app: App) -> Starlette:
    web = app.settings.web
    routes = [
        *routes_auth.ROUTES,
        *routes_queue.ROUTES,
        *routes_api.ROUTES,
        *routes_gradebook.ROUTES,
        *routes_admin.ROUTES,
        *routes_submission.ROUTES,
        *routes_files.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    site = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders), Middleware(ApiCsrf)])
    site.state.app = app
    site.state.signer = Signer(
        web_secret(app.settings),
        timedelta(hours=web.session_hours),
        secure=(web.base_url or "").startswith("https://"),
    )
    site.state.throttle = LoginThrottle()
    return site
