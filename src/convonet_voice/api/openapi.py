"""The OpenAPI 3.1 document, built from the endpoint declarations and pydantic's schemas."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from convonet_mcp import __version__
from convonet_voice.api.kit import Api, Endpoint
from convonet_voice.api.schemas import ErrorOut

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{([a-z_]+)}")
_REASONS = {
    401: "Missing, invalid or expired credentials.",
    403: "Your role does not allow this.",
    404: "Not found, or not visible to you.",
    409: "Conflicts with existing state.",
    413: "The request body is too large.",
    422: "Invalid input.",
    429: "Too many attempts; see Retry-After.",
}


def _models(api: Api) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    found: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {
        "ErrorOut": (ErrorOut, "serialization")
    }
    for ep in api.endpoints:
        if ep.body is not None:
            found[ep.body.__name__] = (ep.body, "validation")
        if ep.response is not None:
            found[ep.response.__name__] = (ep.response, "serialization")
    return list(found.values())


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        params.append(param)
    return params


def _ref(model: type[BaseModel], many: bool) -> dict[str, Any]:
    ref = {"$ref": REF.format(model=model.__name__)}
    return {"type": "array", "items": ref} if many else ref


def _operation(ep: Endpoint, content: str = "application/json") -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(ep.path)
    ]
    if ep.query is not None:
        params.extend(_query_parameters(ep.query))
    responses: dict[str, Any] = {}
    if ep.response is not None:
        responses[str(ep.status)] = {
            "description": "OK",
            "content": {content: {"schema": _ref(ep.response, ep.many)}},
        }
    else:
        responses[str(ep.status)] = {"description": "Done; no content."}
    errors = set(ep.errors) | ({413} if ep.body is not None else set())
    for status in sorted(errors):
        responses[str(status)] = {
            "description": _REASONS.get(status, "Error."),
            "content": {content: {"schema": _ref(ErrorOut, False)}},
        }
    op: dict[str, Any] = {
        "operationId": ep.operation_id,
        "summary": ep.summary,
        "tags": [ep.tag],
        "parameters": params,
        "responses": responses,
    }
    if ep.body is not None:
        # An empty body reads as {}: it is optional when every field is.
        needed = any(f.is_required() for f in ep.body.model_fields.values())
        op["requestBody"] = {
            "required": needed,
            "content": {content: {"schema": _ref(ep.body, False)}},
        }
    op["security"] = [{"bearer": []}] if ep.auth else []
    return op


def build_openapi(api: Api) -> dict[str, Any]:
    """Return the OpenAPI document of every endpoint in ``api``."""
    _, defs = models_json_schema(_models(api), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for ep in api.endpoints:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Convonet API",
            "version": __version__,
            "description": "Accounts, teams and team todos. Errors are "
            '{"error": {"code", "message"}}.',
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
