"""Todo tools: create, list, read, change, complete, reopen, assign and delete todos."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastmcp import FastMCP
from pydantic import Field

from convonet_mcp.models import Todo
from convonet_mcp.services import todo_lists, todos
from convonet_mcp.services.pagination import Page
from convonet_mcp.tools._kit import Registrar, Runtime
from convonet_mcp.tools.schemas import Result, TodoOut, spoken

PriorityArg = Literal["low", "medium", "high", "urgent"]
TodoId = Annotated[str, Field(description="The todo's id, as returned by get_todos.")]
When = Annotated[
    str | None,
    Field(description='Natural language ("tomorrow at 5pm", "next Friday") or ISO 8601.'),
]
TeamRef = Annotated[str | None, Field(description="Team name or id; omit for a personal todo.")]
PersonRef = Annotated[str | None, Field(description='Email, name, or "me".')]
Limit = Annotated[int, Field(ge=1, le=200, description="Page size (1-200).")]
Cursor = Annotated[str | None, Field(description="next_cursor from the previous page.")]


class TodoResult(Result):
    todo: TodoOut


class TodoPage(Result):
    todos: list[TodoOut]
    next_cursor: str | None = Field(description="Pass back as cursor for more; null at the end.")


def describe(todo: TodoOut) -> str:
    """A spoken one-liner for a todo."""
    parts = [f'"{todo.title}"']
    if todo.priority in {"high", "urgent"}:
        parts.append(f"{todo.priority} priority")
    if todo.team:
        parts.append(f"in {todo.team}")
    if todo.assignee:
        parts.append(f"assigned to {todo.assignee}")
    return ", ".join(parts)


def todo_result(verb: str, todo: Todo, tz: str) -> TodoResult:
    """Shape one todo into a result with a spoken summary."""
    out = TodoOut.of(todo, tz)
    due = f", due {spoken(todo.due_date, tz)}" if todo.due_date and not todo.completed else ""
    return TodoResult(summary=f"{verb} {describe(out)}{due}.", todo=out)


def todo_page(page: Page[Todo], tz: str, what: str = "todos") -> TodoPage:
    """Shape a page of todos with a spoken summary of the first few."""
    items = [TodoOut.of(t, tz) for t in page.items]
    if not items:
        summary = f"You have no {what} matching that."
    else:
        listed = "; ".join(describe(t) for t in items[:5])
        more = " and more" if len(items) > 5 or page.next_cursor else ""
        summary = f"{len(items)} {what}: {listed}{more}."
    return TodoPage(summary=summary, todos=items, next_cursor=page.next_cursor)


def create(rt: Runtime, **fields: Any) -> TodoResult:
    """Create a personal or team todo; shared by create_todo and create_team_todo."""
    return rt.run(
        lambda s, a: todo_result("Created", todos.create_todo(s, a, **fields), a.timezone)
    )


def listing(rt: Runtime, lister: Callable[..., Page[Todo]], what: str, **filters: Any) -> TodoPage:
    """List todos with ``lister`` (list_todos or list_team_todos) and shape the page."""
    return rt.run(lambda s, a: todo_page(lister(s, a, **filters), a.timezone, what))


def register(mcp: FastMCP, rt: Runtime) -> None:
    """Add the eight todo tools."""
    tool = Registrar(mcp, rt, "todos")

    @tool("create", "Create a todo")
    def create_todo(
        title: Annotated[str, Field(min_length=1, max_length=500)],
        description: str = "",
        priority: PriorityArg = "medium",
        due: When = None,
        team: TeamRef = None,
        assignee: PersonRef = None,
        private: Annotated[
            bool, Field(description="Team todo visible only to you and the assignee.")
        ] = False,
    ) -> TodoResult:
        """Create a todo for the user, or for a team when `team` is given.

        Use for "add a todo to ...", "I need to ... by Friday". A team todo can be assigned
        to a team member by email or name; a personal todo is the user's alone.
        """
        return create(
            rt,
            title=title,
            description=description,
            priority=priority,
            due=due,
            team=team,
            assignee=assignee,
            is_private=private,
        )

    @tool("read", "List todos")
    def get_todos(
        status: Literal["open", "completed", "all"] = "open",
        priority: PriorityArg | None = None,
        assignee: PersonRef = None,
        team: Annotated[
            str | None, Field(description="Only this team's todos (name or id).")
        ] = None,
        due_after: When = None,
        due_before: When = None,
        text: Annotated[str | None, Field(description="Words in the title or description.")] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> TodoPage:
        """List the user's todos: personal ones and team todos they created or are assigned.

        Filter by status, priority, assignee, team, due-date range or text; use `text` to
        find a todo by name before completing or changing it. Newest first, paginated.
        """
        return listing(
            rt,
            todo_lists.list_todos,
            f"{status} todos" if status != "all" else "todos",
            status=status,
            priority=priority,
            assignee=assignee,
            team=team,
            due_after=due_after,
            due_before=due_before,
            text=text,
            limit=limit,
            cursor=cursor,
        )

    @tool("read", "Get a todo")
    def get_todo(todo_id: TodoId) -> TodoResult:
        """Read one todo by id, with its description, due date, team and assignee."""
        return rt.run(
            lambda s, a: todo_result("Here is", todos.get_todo(s, a, todo_id=todo_id), a.timezone)
        )

    @tool("update", "Change a todo")
    def update_todo(
        todo_id: TodoId,
        title: Annotated[str | None, Field(min_length=1, max_length=500)] = None,
        description: str | None = None,
        priority: PriorityArg | None = None,
        due: When = None,
        clear_due: Annotated[bool, Field(description="Remove the due date.")] = False,
        private: bool | None = None,
    ) -> TodoResult:
        """Change a todo's title, description, priority, due date or privacy.

        Only the fields given change. Use complete_todo to mark it done and assign_todo
        to change who does it.
        """
        return rt.run(
            lambda s, a: todo_result(
                "Updated",
                todos.update_todo(
                    s,
                    a,
                    todo_id=todo_id,
                    title=title,
                    description=description,
                    priority=priority,
                    due=due,
                    clear_due=clear_due,
                    is_private=private,
                ),
                a.timezone,
            )
        )

    @tool("update", "Complete a todo")
    def complete_todo(todo_id: TodoId) -> TodoResult:
        """Mark a todo as done ("mark the report done"). Completing it twice is harmless."""
        return rt.run(
            lambda s, a: todo_result(
                "Completed", todos.complete_todo(s, a, todo_id=todo_id), a.timezone
            )
        )

    @tool("update", "Reopen a todo")
    def reopen_todo(todo_id: TodoId) -> TodoResult:
        """Mark a completed todo as not done again."""
        return rt.run(
            lambda s, a: todo_result(
                "Reopened", todos.reopen_todo(s, a, todo_id=todo_id), a.timezone
            )
        )

    @tool("update", "Assign a todo")
    def assign_todo(
        todo_id: TodoId,
        assignee: Annotated[
            str | None, Field(description='Email, name or "me"; null or "nobody" unassigns.')
        ],
    ) -> TodoResult:
        """Give a team todo to a team member, or unassign it."""
        return rt.run(
            lambda s, a: todo_result(
                "Assigned", todos.assign_todo(s, a, todo_id=todo_id, assignee=assignee), a.timezone
            )
        )

    @tool("delete", "Delete a todo")
    def delete_todo(todo_id: TodoId) -> TodoResult:
        """Delete a todo for good. Confirm first; for finished work use complete_todo."""
        return rt.run(
            lambda s, a: todo_result(
                "Deleted", todos.delete_todo(s, a, todo_id=todo_id), a.timezone
            )
        )
