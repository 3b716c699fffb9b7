"""The voice app's ASGI application: REST API, team dashboard, middleware and lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from convonet_mcp.auth.limits import FixedWindowLimit, make_store
from convonet_mcp.auth.secrets import load_secrets
from convonet_mcp.db import engine_from_settings, session_factory
from convonet_voice.api import api_routes
from convonet_voice.api.deps import Services
from convonet_voice.api.errors import exception_handlers
from convonet_voice.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from convonet_voice.settings import VoiceSettings
from convonet_voice.telephony.routes import mount as twilio_routes
from convonet_voice.telephony.routes import open_telephony

logger = logging.getLogger("convonet.voice")


def clients_dir() -> Path:
    """Locate the browser clients: packaged in the wheel, or the repo's ``clients/``."""
    packaged = resources.files("convonet_voice") / "clients"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "clients"


def _dashboard_routes() -> list[BaseRoute]:
    folder = clients_dir() / "team_dashboard"

    async def page(request: Request) -> Response:
        return FileResponse(folder / "index.html", headers={"cache-control": "no-store"})

    async def home(request: Request) -> Response:
        return RedirectResponse("/team-dashboard", status_code=307)

    return [
        Route("/", home, methods=["GET"]),
        Route("/team-dashboard", page, methods=["GET"]),
        Mount("/team-dashboard/static", StaticFiles(directory=folder), name="dashboard-static"),
    ]


def create_app(
    settings: VoiceSettings | None = None, *, key_prefix: str = "convonet:"
) -> Starlette:
    """Build the web app; the database, secrets and counter store open in its lifespan.

    Args:
        settings: The configuration (read from ``CONVONET_*`` when omitted).
        key_prefix: Prefix of this app's keys in Redis, when Redis is configured.

    Raises:
        SecretsError: at startup, in production without ``CONVONET_JWT_SECRET`` and
            ``CONVONET_PIN_PEPPER``.
    """
    config = settings or VoiceSettings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        secrets = load_secrets(config)
        engine = engine_from_settings(config)
        store = make_store(config, prefix=key_prefix)
        try:
            app.state.services = Services(
                settings=config,
                factory=session_factory(engine),
                secrets=secrets,
                store=store,
                login_limit=FixedWindowLimit(
                    store,
                    kind="login-ip",
                    limit=config.login_attempts_per_ip,
                    window=timedelta(seconds=config.login_window_seconds),
                ),
            )
            logger.info("Web app ready on %s", engine.url.render_as_string(hide_password=True))
            async with open_telephony(app.state.services, key_prefix=key_prefix) as telephony:
                app.state.telephony = telephony
                yield
        finally:
            store.close()
            engine.dispose()

    return Starlette(
        routes=[*api_routes(), twilio_routes(), *_dashboard_routes()],
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=config.max_body_bytes),
        ],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
