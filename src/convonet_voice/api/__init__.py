"""The REST API: accounts, teams, team todos and the calendar, plus its OpenAPI document."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from convonet_voice.api import auth, team_todos, teams, users
from convonet_voice.api.kit import Api
from convonet_voice.api.openapi import build_openapi


def build_api() -> Api:
    """Every endpoint of the REST API."""
    api = Api()
    for part in (auth.api, teams.api, team_todos.api, users.api):
        api.include(part)
    return api


def api_routes() -> list[BaseRoute]:
    """The API's routes plus ``GET /api/openapi.json``."""
    api = build_api()
    cache: dict[str, Any] = {}

    async def openapi_json(request: Request) -> JSONResponse:
        if "doc" not in cache:  # built on first use: app startup stays fast
            cache["doc"] = build_openapi(api)
        return JSONResponse(cache["doc"])

    routes: list[BaseRoute] = [Route("/api/openapi.json", openapi_json, methods=["GET"])]
    routes.extend(api.routes())
    return routes
