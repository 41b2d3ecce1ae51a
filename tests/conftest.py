"""Shared fixtures: named personas, and a clear stop when PostgreSQL or Redis is not reachable."""

import os
import socket
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls around it are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _reachable(url: str, default_port: int) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    problems = []
    if db["ENGINE"].endswith("postgresql") and not _reachable(
        f"postgres://{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}", 5432
    ):
        problems.append(f"PostgreSQL is not reachable at {db.get('HOST')}:{db.get('PORT') or 5432} (DATABASE_URL)")
    if settings.REDIS_URL and not _reachable(settings.REDIS_URL, 6379):
        problems.append(f"Redis is not reachable at {settings.REDIS_URL} (REDIS_URL)")
    if problems:
        pytest.exit(
            "The test suite runs on real PostgreSQL and Redis.\n  - "
            + "\n  - ".join(problems)
            + "\nStart them (see README.md, 'Running the tests') or point DATABASE_URL / REDIS_URL at running servers.",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _celery_join_flag_reset() -> Any:
    """Tasks run eagerly set Celery's process-wide "a join would block" flag around each call and restore it after;
    two test threads doing so at once can leave it set, and a later test's ``.apply().get()`` then refuses to run."""
    yield
    from celery._state import _set_task_join_will_block  # type: ignore[attr-defined]

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    from django.core.cache import cache

    cache.clear()
    return


@pytest.fixture
def webhook_receiver() -> Any:
    """A webhook receiver listening on 127.0.0.1 (tests.notifications.webhook_receiver), stopped afterwards."""
    from tests.notifications.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def agent_bob(db: Any) -> Any:
    from tests.factories import agent

    return agent("bob", first_name="Bob", last_name="Agentson")


@pytest.fixture
def lead_tess(db: Any) -> Any:
    from tests.factories import team_lead

    return team_lead("tess", first_name="Tess", last_name="Leadova")


@pytest.fixture
def manager_carol(db: Any) -> Any:
    from tests.factories import manager

    return manager("carol", first_name="Carol", last_name="Managerova")


@pytest.fixture
def outsider_dave(db: Any) -> Any:
    """Logged in, but neither support staff nor a manager."""
    from tests.factories import UserFactory

    return UserFactory(username="dave")


@pytest.fixture(autouse=True)
def _staff_groups(request: pytest.FixtureRequest) -> None:
    """The roles the data migration creates. A transactional test's flush empties auth_group (post_migrate
    brings permissions back, not groups), so every database test starts with them in place."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None:
        transactional = marker.kwargs.get("transaction", False) or (len(marker.args) > 0 and bool(marker.args[0]))
    elif "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        transactional = True
    elif "db" in request.fixturenames:
        transactional = False
    else:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from complaints.permissions import AGENTS_GROUP, MANAGERS_GROUP, TEAM_LEADS_GROUP
    from tests.factories import compensation_defaults, default_sla_policies, staff_group

    staff_group(AGENTS_GROUP)
    staff_group(TEAM_LEADS_GROUP)
    staff_group(MANAGERS_GROUP)
    # The general response-time promises the migration creates go with the same flush.
    default_sla_policies()
    # So do the approval limits per role and the default compensation rules.
    compensation_defaults()
