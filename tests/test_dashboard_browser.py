"""The team dashboard driven in real headless Chromium against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from api_helpers import PASSWORD, app_settings
from browser import chromium, requires_chromium, serve
from convonet_mcp.db import make_engine, session_factory, transaction
from convonet_mcp.models import Team, User
from convonet_mcp.services import calendar
from convonet_voice.app import create_app
from factories import cheap_hashing

pytestmark = [pytest.mark.browser, requires_chromium]

WAIT_MS = 10_000


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The app on the embedded default database (SQLite in the data dir), served live."""
    settings = app_settings(None, tmp_path)
    with cheap_hashing(), serve(create_app(settings)) as url:
        yield url, settings.resolved_database_url()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _register(page: Page, url: str, handle: str, first: str) -> None:
    page.goto(f"{url}/team-dashboard")
    form = page.locator("#register-form")
    expect(form).to_be_visible(timeout=WAIT_MS)
    form.locator("[name=first_name]").fill(first)
    form.locator("[name=last_name]").fill("Tester")
    form.locator("[name=email]").fill(f"{handle}@example.com")
    form.locator("[name=username]").fill(handle)
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("who-name")).to_have_text(f"{first} Tester", timeout=WAIT_MS)


def _todo(page: Page, title: str) -> object:
    return page.locator("#todo-list li.todo", has_text=title)


def _add_member(page: Page, email: str, role: str) -> None:
    form = page.locator("#member-form")
    form.locator("[name=email]").fill(email)
    form.locator("[name=role]").select_option(role)
    form.locator("button[type=submit]").click()
    expect(page.locator("#member-rows tr", has_text=email)).to_be_visible(timeout=WAIT_MS)


def test_two_people_share_a_team_and_a_viewer_cannot_edit(
    live: tuple[str, str], browser: Browser, tmp_path: Path
) -> None:
    url, database_url = live
    ann = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    bob = browser.new_context().new_page()
    carl = browser.new_context().new_page()
    _register(ann, url, "ann", "Ann")
    _register(bob, url, "bob", "Bob")
    _register(carl, url, "carl", "Carl")

    # The refresh token is an HttpOnly cookie: script on the page cannot read it.
    assert ann.evaluate("document.cookie") == ""

    ann.locator("#team-form [name=name]").fill("Launch")
    ann.locator("#team-form button[type=submit]").click()
    expect(ann.get_by_test_id("team-name")).to_have_text("Launch", timeout=WAIT_MS)
    expect(ann.get_by_test_id("my-role")).to_have_text("owner")
    ann.locator(".tabs button[data-tab=members]").click()
    _add_member(ann, "bob@example.com", "member")
    _add_member(ann, "carl@example.com", "viewer")
    expect(ann.locator("#member-rows tr")).to_have_count(3)

    ann.locator(".tabs button[data-tab=todos]").click()
    due = (datetime.now() + timedelta(hours=1)).replace(minute=0).strftime("%Y-%m-%dT%H:%M")
    form = ann.locator("#todo-form")
    form.locator("[name=title]").fill("Write release notes")
    form.locator("[name=priority]").select_option("high")
    form.locator("[name=due]").fill(due)
    form.locator("[name=assignee]").select_option(label="Bob Tester")
    form.locator("button[type=submit]").click()
    expect(_todo(ann, "Write release notes")).to_be_visible(timeout=WAIT_MS)
    ann.locator("#filter-status").select_option("all")

    # Bob reloads: the session comes back through the refresh cookie, and the team is there.
    bob.reload()
    expect(bob.get_by_test_id("team-name")).to_have_text("Launch", timeout=WAIT_MS)
    expect(bob.get_by_test_id("my-role")).to_have_text("member")
    bob_item = _todo(bob, "Write release notes")
    expect(bob_item).to_be_visible(timeout=WAIT_MS)
    bob_item.locator("input[type=checkbox]").check()
    expect(bob_item).to_have_count(0, timeout=WAIT_MS)  # done, so gone from "open"

    # Ann's page was not reloaded: polling shows Bob's change.
    expect(_todo(ann, "Write release notes")).to_have_class("todo done", timeout=WAIT_MS)

    # And Bob's page picks up a todo Ann creates later, again without a reload.
    form.locator("[name=title]").fill('<img src=x onerror="window.pwned=1">')
    form.locator("button[type=submit]").click()
    expect(_todo(bob, '<img src=x onerror="window.pwned=1">')).to_be_visible(timeout=WAIT_MS)
    assert bob.evaluate("window.pwned") is None and ann.evaluate("window.pwned") is None
    assert bob.locator("#todo-list img").count() == 0

    # Carl is a viewer: he sees the todos, every edit control is hidden or disabled...
    carl.reload()
    expect(carl.get_by_test_id("my-role")).to_have_text("viewer", timeout=WAIT_MS)
    carl_item = _todo(carl, "pwned")
    expect(carl_item).to_be_visible(timeout=WAIT_MS)
    expect(carl.locator("#todo-form")).to_be_hidden()
    expect(carl.locator("#todo-readonly")).to_be_visible()
    expect(carl_item.locator("input[type=checkbox]")).to_be_disabled()
    assert carl_item.locator("select, button").count() == 0
    carl.locator(".tabs button[data-tab=members]").click()
    expect(carl.locator("#member-form")).to_be_hidden()
    assert carl.locator("#member-rows select, #member-rows button").count() == 0

    # ...and the API refuses him even when he goes around the page.
    status = carl.evaluate(
        """async () => {
            const team = state.team.id, todo = state.todos[0].id;
            const auth = "Bearer " + state.token;
            const put = await fetch(`/api/teams/${team}/todos/${todo}`, {
                method: "PUT",
                headers: {"Content-Type": "application/json", Authorization: auth},
                body: JSON.stringify({completed: true}),
            });
            const post = await fetch(`/api/teams/${team}/todos`, {
                method: "POST",
                headers: {"Content-Type": "application/json", Authorization: auth},
                body: JSON.stringify({title: "sneaky"}),
            });
            return [put.status, post.status];
        }"""
    )
    assert status == [403, 403]

    # The calendar shows the due todo and a team event.
    engine = make_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            owner = session.scalars(select(User).where(User.username == "ann")).one()
            team = session.scalars(select(Team).where(Team.name == "Launch")).one()
            start = datetime.now().replace(hour=10, minute=0).astimezone()
            calendar.create_event(
                session, owner, title="Go/no-go meeting", start=start, team=team.id
            )
    finally:
        engine.dispose()
    ann.locator(".tabs button[data-tab=calendar]").click()
    grid = ann.get_by_test_id("calendar")
    expect(grid.locator(".chip.event", has_text="Go/no-go meeting")).to_be_visible(timeout=WAIT_MS)
    expect(grid.locator(".chip.todo.done", has_text="Write release notes")).to_be_visible()
    shot = tmp_path / "dashboard-calendar.png"
    ann.screenshot(path=str(shot), full_page=True)
    ann.locator(".tabs button[data-tab=todos]").click()
    ann.screenshot(path=str(tmp_path / "dashboard-todos.png"), full_page=True)
    assert shot.stat().st_size > 10_000
