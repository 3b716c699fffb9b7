"""A small, realistic demo data set, loaded through the services like any other data.

Four people in two teams, with personal and team todos, reminders and events spread
over the coming days in each person's own timezone. Loading is idempotent: when the
first demo account already exists nothing is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from convonet_mcp.auth import Secrets
from convonet_mcp.models import Role, User, utcnow
from convonet_mcp.services import accounts, calendar, reminders, teams, todos

logger = logging.getLogger("convonet.demo")

DEMO_PASSWORD = "convonet-demo"
DEMO_PIN = "4826"


@dataclass(frozen=True)
class DemoPerson:
    """One demo account."""

    email: str
    first_name: str
    last_name: str
    timezone: str
    phone: str

    @property
    def username(self) -> str:
        """The part of the email before the @."""
        return self.email.partition("@")[0]


PEOPLE = (
    DemoPerson("ada@example.com", "Ada", "Park", "America/New_York", "+14155552671"),
    DemoPerson("ben@example.com", "Ben", "Ortiz", "America/Los_Angeles", "+14155552672"),
    DemoPerson("chloe@example.com", "Chloe", "Martin", "Europe/London", "+442079460123"),
    DemoPerson("dev@example.com", "Dev", "Sharma", "Europe/Paris", "+33142685300"),
)
PRODUCT, SUPPORT = "Product", "Support"


@dataclass(frozen=True)
class DemoResult:
    """What :func:`load_demo` did, and how to sign in as the demo people."""

    created: bool
    people: tuple[DemoPerson, ...] = PEOPLE
    password: str = DEMO_PASSWORD
    pin: str = DEMO_PIN


def _at(user: User, days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` from today at ``hour:minute`` on the user's own clock, as an aware datetime."""
    zone = ZoneInfo(user.timezone)
    day = utcnow().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def load_demo(session: Session, *, secrets: Secrets) -> DemoResult:
    """Create the demo people, teams, todos, reminders and events, unless already there.

    Args:
        session: The open session; the caller commits.
        secrets: The server secrets, to hash the demo PIN.

    Returns:
        ``created=False`` when the demo data was already loaded (nothing was written).

    Raises:
        Conflict: some, but not all, of the demo accounts' emails or phones are taken.
    """
    if accounts.find_account(session, identifier=PEOPLE[0].email) is not None:
        logger.info("Demo data already loaded.")
        return DemoResult(created=False)
    ada, ben, chloe, dev = (
        accounts.register_user(
            session,
            email=p.email,
            username=p.username,
            password=DEMO_PASSWORD,
            first_name=p.first_name,
            last_name=p.last_name,
            timezone=p.timezone,
            phone=p.phone,
            voice_pin=DEMO_PIN,
            secrets=secrets,
        )
        for p in PEOPLE
    )
    _teams(session, ada, ben, chloe, dev)
    _todos(session, ada, ben, chloe, dev)
    _reminders(session, ada, ben, chloe, dev)
    _events(session, ada, ben, chloe, dev)
    logger.info("Demo data loaded: %d people in two teams.", len(PEOPLE))
    return DemoResult(created=True)


def _teams(session: Session, ada: User, ben: User, chloe: User, dev: User) -> None:
    teams.create_team(session, ada, name=PRODUCT, description="Builds and ships the app.")
    teams.add_member(session, ada, team=PRODUCT, person=ben.email, role=Role.admin)
    teams.add_member(session, ada, team=PRODUCT, person=dev.email, role=Role.member)
    teams.create_team(session, chloe, name=SUPPORT, description="Answers customers, 24/7.")
    teams.add_member(session, chloe, team=SUPPORT, person=ben.email, role=Role.member)
    teams.add_member(session, chloe, team=SUPPORT, person=ada.email, role=Role.viewer)


def _todos(session: Session, ada: User, ben: User, chloe: User, dev: User) -> None:
    add = todos.create_todo
    add(session, ada, title="Draft the Q3 roadmap", priority="high", due=_at(ada, 3, 17))
    add(session, ada, title="Book flights to Lisbon", priority="low")
    add(session, chloe, title="Renew passport", priority="medium", due=_at(chloe, 14, 12))
    add(session, dev, title="Read the accessibility audit", description="Pages 1-20.")
    add(
        session,
        ada,
        title="Ship the onboarding redesign",
        priority="urgent",
        due=_at(ada, 5, 12),
        team=PRODUCT,
        assignee=ben.email,
    )
    add(
        session,
        ben,
        title="Write release notes for 2.4",
        team=PRODUCT,
        assignee=dev.email,
        due=_at(ben, 2, 15),
    )
    add(session, dev, title="Fix the login button contrast", team=PRODUCT, assignee="me")
    add(
        session,
        chloe,
        title="Triage the weekend ticket backlog",
        priority="high",
        team=SUPPORT,
        assignee=ben.email,
        due=_at(chloe, 1, 10),
    )
    done = add(session, chloe, title="Update the refund macro", team=SUPPORT, assignee="me")
    todos.complete_todo(session, chloe, todo_id=done.id)


def _reminders(session: Session, ada: User, ben: User, chloe: User, dev: User) -> None:
    add = reminders.create_reminder
    add(session, ada, text="Call the dentist", when=_at(ada, 1, 10))
    add(session, ben, text="Send the weekly status email", when=_at(ben, 2, 16), importance="high")
    add(session, chloe, text="Check in with the night shift", when=_at(chloe, 1, 18))
    add(session, dev, text="Water the office plants", when=_at(dev, 3, 9), importance="low")


def _events(session: Session, ada: User, ben: User, chloe: User, dev: User) -> None:
    add = calendar.create_event
    add(
        session,
        ada,
        title="Sprint planning",
        start=_at(ada, 1, 10),
        duration="1 hour",
        team=PRODUCT,
        location="Room 4 / video",
    )
    add(session, ben, title="Design review", start=_at(ben, 4, 14), duration=45, team=PRODUCT)
    add(
        session,
        chloe,
        title="Support stand-up",
        start=_at(chloe, 1, 9, 30),
        duration=15,
        team=SUPPORT,
    )
    add(
        session,
        ada,
        title="Lunch with Sam",
        start=_at(ada, 1, 12, 30),
        duration="1 hour",
        location="Café Lisboa",
    )
    add(session, dev, title="Dentist", start=_at(dev, 2, 8), duration=30)
