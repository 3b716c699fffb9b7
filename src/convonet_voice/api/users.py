"""People search: teammates by name, username or email, or any account by exact email."""

from __future__ import annotations

from convonet_mcp.services import people
from convonet_mcp.tools.schemas import PersonOut
from convonet_voice.api.kit import Api, Call
from convonet_voice.api.schemas import SearchQuery

api = Api()


@api.route(
    "GET",
    "/api/users/search",
    summary="Find people you share a team with (an exact email finds anyone)",
    tag="users",
    query=SearchQuery,
    response=PersonOut,
    many=True,
    errors=(401, 422),
)
def search_users(call: Call) -> list[PersonOut]:
    """Return up to ``limit`` matching people, with non-sensitive fields only."""
    q = call.query(SearchQuery)
    found = people.search_users(call.session, call.actor, query=q.q, limit=q.limit)
    return [PersonOut.of(user) for user in found]
