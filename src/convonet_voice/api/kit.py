"""A small declarative layer over Starlette: typed endpoints that also describe themselves.

Each endpoint names its body, query and response models; the same declaration drives
validation, the transaction around the service call, and the OpenAPI document.
Handlers are plain synchronous functions run in a worker thread inside one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from convonet_mcp.db import transaction
from convonet_mcp.errors import InvalidInput
from convonet_mcp.models import User
from convonet_voice.api.deps import Services, bearer_token, current_user, services_of
from convonet_voice.api.errors import Unauthorized

logger = logging.getLogger("convonet.api")

M = TypeVar("M", bound=BaseModel)


def _refuse_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, list):
        for item in value:
            _refuse_nul(item)
    return value


class ApiModel(BaseModel):
    """Base of request models: unknown fields refused, NUL characters refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="after")
    @classmethod
    def no_nul_characters(cls, value: Any) -> Any:
        """Refuse NUL characters, which PostgreSQL cannot store in text."""
        return _refuse_nul(value)


class QueryModel(ApiModel):
    """Base of query-string models: unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class Cookie:
    """A cookie to set (``value`` given) or delete (``value`` None) on the response."""

    name: str
    value: str | None
    path: str
    max_age: int | None = None


@dataclass
class Call:
    """One request as a handler sees it: the session, the actor and the parsed input."""

    request: Request
    services: Services
    session: Session
    path: dict[str, str]
    user: User | None
    parsed_body: BaseModel | None
    parsed_query: BaseModel | None
    cookies: list[Cookie] = field(default_factory=list)

    @property
    def actor(self) -> User:
        """The authenticated user (endpoints declared with ``auth=True`` always have one)."""
        if self.user is None:
            raise Unauthorized("Log in first.")
        return self.user

    def body(self, model: type[M]) -> M:
        """The validated request body as ``model``."""
        assert isinstance(self.parsed_body, model)
        return self.parsed_body

    def query(self, model: type[M]) -> M:
        """The validated query string as ``model``."""
        assert isinstance(self.parsed_query, model)
        return self.parsed_query


Result = BaseModel | Sequence[BaseModel] | None
Handler = Callable[[Call], Result]


@dataclass(frozen=True)
class Endpoint:
    """The declaration of one operation."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    many: bool
    status: int
    auth: bool
    errors: tuple[int, ...]

    @property
    def operation_id(self) -> str:
        """A stable id for the OpenAPI document: the handler's name."""
        return self.handler.__name__


def _parse_body(raw: bytes, model: type[BaseModel]) -> BaseModel:
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput("The request body must be a JSON object.") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return model.model_validate(data)


def _render(result: Result) -> Any:
    if result is None:
        return None
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    return [item.model_dump(mode="json") for item in result]


class Api:
    """A registry of endpoints; ``routes()`` gives Starlette routes, ``endpoints`` the spec."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        many: bool = False,
        status: int = 200,
        auth: bool = True,
        errors: tuple[int, ...] = (),
    ) -> Callable[[Handler], Handler]:
        """Declare ``handler`` as the operation ``method path``."""

        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    method=method.upper(),
                    path=path,
                    handler=handler,
                    summary=summary,
                    tag=tag,
                    body=body,
                    query=query,
                    response=response,
                    many=many,
                    status=status,
                    auth=auth,
                    errors=errors,
                )
            )
            return handler

        return register

    def include(self, other: Api) -> None:
        """Add every endpoint of ``other``."""
        self.endpoints.extend(other.endpoints)

    def routes(self) -> list[Route]:
        """Starlette routes, one per path with all of its methods."""
        by_path: dict[str, dict[str, Endpoint]] = {}
        for endpoint in self.endpoints:
            by_path.setdefault(endpoint.path, {})[endpoint.method] = endpoint
        return [
            Route(path, _dispatcher(methods), methods=list(methods))
            for path, methods in by_path.items()
        ]


def _dispatcher(methods: dict[str, Endpoint]) -> Callable[[Request], Any]:
    async def dispatch(request: Request) -> Response:
        return await _serve(methods[request.method], request)

    return dispatch


async def _serve(endpoint: Endpoint, request: Request) -> Response:
    services = services_of(request)
    body = _parse_body(await request.body(), endpoint.body) if endpoint.body else None
    query = endpoint.query.model_validate(dict(request.query_params)) if endpoint.query else None
    token = bearer_token(request) if endpoint.auth else None
    path = {k: str(v) for k, v in request.path_params.items()}

    def work() -> tuple[Any, list[Cookie]]:
        with transaction(services.factory) as session:
            user = current_user(session, services.secrets, token) if endpoint.auth else None
            call = Call(request, services, session, path, user, body, query)
            rendered = _render(endpoint.handler(call))
            return rendered, call.cookies

    payload, cookies = await run_in_threadpool(work)
    response: Response
    if payload is None:
        response = Response(status_code=204 if endpoint.status == 200 else endpoint.status)
    else:
        response = JSONResponse(payload, status_code=endpoint.status)
    for cookie in cookies:
        secure = request.url.scheme == "https"
        if cookie.value is None:
            response.delete_cookie(
                cookie.name, path=cookie.path, secure=secure, httponly=True, samesite="strict"
            )
        else:
            response.set_cookie(
                cookie.name,
                cookie.value,
                max_age=cookie.max_age,
                path=cookie.path,
                secure=secure,
                httponly=True,
                samesite="strict",
            )
    return response
