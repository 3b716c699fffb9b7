"""What every tool adapter shares: the runtime (sessions, identity, channel) and registration."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_type_hints

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.tools.function_tool import FunctionTool
from mcp.types import ToolAnnotations
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema
from sqlalchemy.orm import Session, sessionmaker

from convonet_mcp.db import transaction
from convonet_mcp.errors import ConvonetError
from convonet_mcp.models import Channel, User

logger = logging.getLogger("convonet.tools")

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

Kind = Literal["read", "create", "update", "delete", "external", "external_read"]
GROUPS = ("todos", "teams", "people", "reminders", "calendar", "transfer")

# Hints per kind of tool: (readOnly, destructive, idempotent, openWorld).
_HINTS: dict[Kind, tuple[bool, bool, bool, bool]] = {
    "read": (True, False, True, False),
    "create": (False, False, False, False),
    "update": (False, False, True, False),
    "delete": (False, True, True, False),
    "external": (False, False, True, True),
    "external_read": (True, False, True, True),
}

IdentityResolver = Callable[[], uuid.UUID]


@dataclass
class Runtime:
    """Everything a tool needs at call time, fixed when the server is built.

    ``identity`` returns the acting user's id from the transport (stdio user, bearer
    token, or the voice app's authenticated caller); nothing a tool receives as an
    argument can change it.
    """

    factory: sessionmaker[Session]
    identity: IdentityResolver
    channel: Channel = Channel.mcp
    conversation_id: str | None = None
    toolsets: frozenset[str] = field(default_factory=lambda: frozenset(GROUPS))
    read_only: bool = False

    def run(self, action: Callable[[Session, User], T]) -> T:
        """Run ``action(session, actor)`` in one transaction, mapping domain errors.

        Raises:
            ToolError: for user-correctable errors, with a message the model can act on.
        """
        try:
            with transaction(self.factory) as session:
                actor = session.get(User, self.identity())
                if actor is None or not actor.is_active:
                    raise ToolError("Your account is not active. Ask an administrator.")
                return action(session, actor)
        except ConvonetError as exc:
            raise ToolError(exc.message) from None


# Parsing a tool's signature into JSON schemas is most of the cost of building a server;
# the voice app builds one per conversation, so each tool is parsed once per process.
_TEMPLATES: dict[tuple[str, str, str, str], FunctionTool] = {}


class Registrar:
    """Registers tools of one group, honouring toolsets and read-only mode."""

    def __init__(self, mcp: FastMCP, runtime: Runtime, group: str) -> None:
        self.mcp = mcp
        self.runtime = runtime
        self.group = group

    def __call__(self, kind: Kind, title: str) -> Callable[[F], F]:
        """Decorate a tool function; it is skipped when its group or kind is disabled."""
        read_only, destructive, idempotent, open_world = _HINTS[kind]
        enabled = self.group in self.runtime.toolsets and (read_only or not self.runtime.read_only)

        def decorate(fn: F) -> F:
            if not enabled:
                return fn
            key = (fn.__module__, fn.__qualname__, kind, title)
            template = _TEMPLATES.get(key)
            if template is None:
                template = FunctionTool.from_function(
                    fn,
                    title=title,
                    tags={self.group},
                    output_schema=output_schema_of(fn),
                    annotations=ToolAnnotations(
                        title=title,
                        read_only_hint=read_only,
                        destructive_hint=destructive,
                        idempotent_hint=idempotent,
                        open_world_hint=open_world,
                    ),
                )
                _TEMPLATES[key] = template
            # Same code, new closure (this runtime): reuse the parsed schemas.
            self.mcp.add_tool(template.model_copy(update={"fn": fn}))
            return fn

        return decorate


class CompactJsonSchema(GenerateJsonSchema):
    """JSON Schema with nullable scalars as ``"type": [T, "null"]`` instead of ``anyOf``.

    MCP clients validate every structured result against the output schema; with
    jsonschema an ``anyOf`` per optional field builds and discards an error per branch,
    which made a page of 50 todos cost tens of milliseconds to validate.
    """

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        if isinstance(inner.get("type"), str) and "$ref" not in inner:
            compact = {**inner, "type": [inner["type"], "null"]}
            if "enum" in compact:
                compact["enum"] = [*compact["enum"], None]
            return compact
        return super().nullable_schema(schema)


def output_schema_of(fn: Callable[..., Any]) -> dict[str, Any]:
    """The compact output schema of a tool from its return annotation (a pydantic model)."""
    model = get_type_hints(fn)["return"]
    schema: dict[str, Any] = model.model_json_schema(
        mode="serialization", schema_generator=CompactJsonSchema
    )
    return schema


def parse_toolsets(value: str | None) -> frozenset[str]:
    """Parse ``CONVONET_TOOLSETS`` ("todos,reminders"); None or "all" means every group.

    Raises:
        ValueError: naming unknown groups.
    """
    if value is None or value.strip().lower() in {"", "all"}:
        return frozenset(GROUPS)
    chosen = {part.strip().lower() for part in value.split(",") if part.strip()}
    unknown = chosen - set(GROUPS)
    if unknown:
        raise ValueError(
            f"Unknown toolsets: {', '.join(sorted(unknown))}. Choose from: {', '.join(GROUPS)}."
        )
    return frozenset(chosen)
