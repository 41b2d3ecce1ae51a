"""The queue stays cheap at any size: a bounded number of queries whatever the page size, filter choices cached
without leaking across languages or people, tab counts shared, and both search plans giving the same pages."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compensation.models import Incident
from complaints.models import OPEN_STATUSES, Category, Complaint, Team
from complaints.queue import QueueFilterForm, Sort, cursor_encode, queue_params
from complaints.selectors import complaint_queue_counts, queue_filter_options, staff_assignable_users
from complaints.services import complaint_assign
from complaints.templatetags.queue_tags import queue_widget
from tests.factories import ProductFactory, agent, manager, submit_complaint

QUEUE = "/dashboard/"
# Session, user, permissions (2), the rows, the tab counts (uncached in the test settings), saved filters and
# the navigation's duty switch; a word search adds its probe and the fetch of its rows by id.
QUEUE_MAX_QUERIES = 8
SEARCH_EXTRA_QUERIES = 2


def _refs(html: str) -> list[str]:
    body = re.search(r'<tbody id="queue-rows">(.*?)</tbody>', html, re.S)
    assert body, "no queue rows"
    return re.findall(r'<a href="/dashboard/complaints/(RC-\d{4}-\d{6})/">', body.group(1))


def _get(client: Client, params: dict[str, str] | None = None, language: str = "") -> str:
    response = client.get(QUEUE, params or {}, headers={"accept-language": language} if language else None)
    assert response.status_code == 200
    return response.content.decode()


def _queries(call: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


@pytest.fixture
def crowd(db: Any) -> list[Complaint]:
    """90 open complaints, newest first: every third about a router, the rest about a kettle."""
    complaints = []
    for i in range(90):
        text = "The router drops the line every night." if i % 3 == 0 else "The kettle stopped working."
        category = Category.SERVICE_QUALITY if i % 3 == 0 else Category.DEFECT
        complaints.append(submit_complaint(email=f"crowd{i}@example.com", description=text, category=category))
    return list(Complaint.objects.filter(status__in=OPEN_STATUSES).order_by("-received_at", "-id"))


# --- bounded queries --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["first", "filtered", "deep", "search-common", "search-rare"])
@pytest.mark.parametrize("size", [10, 40])
def test_every_kind_of_queue_page_costs_the_same_few_queries_at_any_page_size(
    bob_client: Client,
    crowd: list[Complaint],
    django_assert_max_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    size: int,
) -> None:
    monkeypatch.setattr("complaints.views.staff.QUEUE_PAGE_SIZE", size)
    kettles = [c for c in crowd if "kettle" in c.description]
    expected, limit, params = crowd[:size], QUEUE_MAX_QUERIES, {}
    if kind == "filtered":
        params = {"status": "new", "priority": "normal", "category": "defect", "channel": "web"}
        expected = kettles[:size]
    elif kind == "deep":
        # Page 3, through a cursor built from the last row of page 2 as the page's own link encodes it.
        params = {"after": cursor_encode(crowd[2 * size - 1], Sort.NEWEST)}
        expected = crowd[2 * size : 3 * size]
    elif kind == "search-common":
        params, expected, limit = {"q": "kettle"}, kettles[:size], limit + SEARCH_EXTRA_QUERIES
    elif kind == "search-rare":
        params, expected, limit = {"q": crowd[7].customer.email}, [crowd[7]], limit + SEARCH_EXTRA_QUERIES
    _get(bob_client)  # the filter choices, read once into the cache

    with django_assert_max_num_queries(limit):
        html = _get(bob_client, params)

    assert _refs(html) == [c.reference for c in expected]


@pytest.mark.django_db
def test_changed_filter_choices_cost_one_query_once(bob_client: Client, agent_bob: Any) -> None:
    submit_complaint()
    _get(bob_client)
    steady = len(_queries(lambda: _get(bob_client)))

    ProductFactory(code="toaster", name="Toaster")
    after_change = _queries(lambda: _get(bob_client))

    assert len(after_change) == steady + 1
    assert any("UNION ALL" in sql for sql in after_change), "products, teams and agents in one round trip"
    assert len(_queries(lambda: _get(bob_client))) == steady


# Session, user, permissions (2), the assignable agents for the form and one lookup of all the references,
# plus the savepoints of the test's transaction; beyond that, only what the one-complaint service costs per row.
BULK_FIXED_QUERIES = 8


@pytest.mark.django_db
def test_a_bulk_post_costs_a_fixed_part_plus_the_services_own_cost_per_row(
    bob_client: Client, agent_bob: Any, django_assert_max_num_queries: Any
) -> None:
    sample = submit_complaint(email="sample@example.com")
    per_row = len(_queries(lambda: complaint_assign(complaint=sample.pk, assignee=agent_bob, actor=agent_bob)))
    for count in (5, 20):
        complaints = [submit_complaint(email=f"bulk{count}-{i}@example.com") for i in range(count)]
        fields = {"selected": [c.reference for c in complaints], "operation": "assign_to_me", "next": QUEUE}

        with django_assert_max_num_queries(BULK_FIXED_QUERIES + count * per_row):
            response = bob_client.post("/dashboard/bulk/", fields)

        assert response.status_code == 302
        assert Complaint.objects.filter(pk__in=[c.pk for c in complaints], assignee=agent_bob).count() == count


# --- cached filter choices --------------------------------------------------------------------------------


def _options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no {name} filter"
    return re.findall(r'<option value="([^"]*)"(?: selected)?>([^<]*)</option>', select.group(1))


@pytest.mark.django_db
def test_cached_choices_are_shown_in_each_readers_language(client: Client, agent_bob: Any) -> None:
    carol = manager("carol", first_name="Carol", last_name="Managerova")
    kettle: Any = ProductFactory(code="kettle", name="Kettle")
    team = Team.objects.create(name="Kitchen")
    submit_complaint()
    client.force_login(agent_bob)
    english = _get(client)
    client.force_login(carol)

    russian = _get(client, language="ru")

    assert _options(russian, "product") == [("", "Все"), (str(kettle.pk), "Kettle")]  # noqa: RUF001
    assert _options(russian, "assignee")[0] == ("", "Любой")
    assert (str(team.pk), "Kitchen") in _options(russian, "team")
    assert ("", "Any") not in _options(russian, "status")
    client.force_login(agent_bob)
    again = _get(client)
    assert _options(again, "product") == _options(english, "product") == [("", "Any"), (str(kettle.pk), "Kettle")]
    assert _options(again, "assignee")[:2] == [("", "Anyone"), ("unassigned", "Unassigned")]
    assert _options(again, "status") == _options(english, "status")


@pytest.mark.django_db
def test_cached_choices_never_reach_anyone_outside_the_staff(
    client: Client, agent_bob: Any, outsider_dave: Any
) -> None:
    client.force_login(agent_bob)
    _get(client)  # cached now
    client.force_login(outsider_dave)

    response = client.get(QUEUE)

    assert response.status_code == 403
    assert "Bob Agentson" not in response.content.decode()
    with pytest.raises(Exception, match="support staff"):
        queue_filter_options(user=outsider_dave)


@pytest.mark.django_db
def test_people_who_may_not_handle_complaints_are_not_offered(bob_client: Client, agent_bob: Any) -> None:
    html = _get(bob_client)
    zoe = agent("zoe", first_name="Zoe", last_name="Newcomer")

    with_zoe = _options(_get(bob_client), "assignee")

    assert (str(zoe.pk), "Zoe Newcomer") in with_zoe
    assert "Zoe" not in html
    zoe.groups.clear()
    assert (str(zoe.pk), "Zoe Newcomer") not in _options(_get(bob_client), "assignee")
    assert queue_filter_options(user=agent_bob).assignees == tuple(
        (u.pk, u.get_full_name() or u.get_username()) for u in staff_assignable_users(user=agent_bob)
    )


@pytest.mark.django_db
def test_renamed_products_and_removed_teams_show_at_once_but_a_login_changes_nothing(
    client: Client, agent_bob: Any
) -> None:
    kettle: Any = ProductFactory(code="kettle", name="Kettle")
    team = Team.objects.create(name="Kitchen")
    client.force_login(agent_bob)
    _get(client)
    kettle.name = "Electric kettle"
    kettle.save()
    team.delete()

    html = _get(client)

    assert (str(kettle.pk), "Electric kettle") in _options(html, "product")
    assert _options(html, "team") == [("", "Any"), ("none", "No team")]
    steady = len(_queries(lambda: _get(client)))
    client.force_login(agent_bob)  # moves last_login: not a change of the choices
    assert len(_queries(lambda: _get(client))) == steady


def _normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [{}, {"status": "new", "team": "none", "product": "999", "sort": "due", "incident": "none"}]
)
def test_select_boxes_are_built_as_djangos_own_widgets_build_them(agent_bob: Any, data: dict[str, str]) -> None:
    ProductFactory(code="kettle", name="Kettle & <b>co</b>")
    Team.objects.create(name='Team "A"')
    Incident.objects.create(title="Mail <down> & out", public_description="Sorry.", started_at=timezone.now())
    form = QueueFilterForm(data, options=queue_filter_options(user=agent_bob))
    queue_params(form)

    for field in form:
        assert _normalised(queue_widget(field)) == _normalised(str(field)), field.name


def test_the_production_settings_keep_compiled_templates() -> None:
    backend: Any = engines["django"]
    chain = list(backend.engine.template_loaders)
    names = []
    while chain:
        loader = chain.pop()
        names.append(type(loader).__module__ + "." + type(loader).__name__)
        chain += getattr(loader, "loaders", [])
    assert "django.template.loaders.cached.Loader" in names


# --- tab counts -------------------------------------------------------------------------------------------


def _aggregates(sqls: list[str]) -> int:
    return sum('COUNT("complaints_complaint"."status") FILTER' in sql for sql in sqls)


@pytest.mark.django_db
def test_shared_tab_counts_are_counted_once_for_the_whole_team(agent_bob: Any, settings: Any) -> None:
    settings.QUEUE_COUNTS_CACHE_SECONDS = 60
    eve = agent("eve")
    mine = submit_complaint(email="mine@example.com")
    submit_complaint(email="other@example.com")
    complaint_assign(complaint=mine, assignee=eve, actor=eve)
    now = timezone.now()

    bobs = complaint_queue_counts(user=agent_bob, now=now)
    eves_queries = _queries(lambda: complaint_queue_counts(user=eve, now=now))
    eves = complaint_queue_counts(user=eve, now=now)

    assert _aggregates(eves_queries) == 0, "the shared counts came from the cache"
    assert len(eves_queries) == 1, "only Eve's own count"
    assert (bobs["mine"], eves["mine"]) == (0, 1)
    assert bobs["all"] == eves["all"] == 2
    assert bobs["unassigned"] == eves["unassigned"] == 1


@pytest.mark.django_db
def test_stale_counts_stand_in_while_another_request_recounts(agent_bob: Any, settings: Any) -> None:
    from django.core.cache import cache

    from complaints.selectors import QUEUE_SHARED_COUNTS_LOCK

    settings.QUEUE_COUNTS_CACHE_SECONDS = 10
    submit_complaint()
    now = timezone.now()
    assert complaint_queue_counts(user=agent_bob, now=now)["all"] == 1
    submit_complaint(email="second@example.com")
    later = now + timedelta(seconds=11)

    with time_machine.travel(later, tick=False):
        cache.add(QUEUE_SHARED_COUNTS_LOCK, "1", timeout=60)  # another request is recounting
        meanwhile = _queries(lambda: complaint_queue_counts(user=agent_bob, now=later))
        assert _aggregates(meanwhile) == 0
        assert complaint_queue_counts(user=agent_bob, now=later)["all"] == 1
        cache.delete(QUEUE_SHARED_COUNTS_LOCK)
        assert complaint_queue_counts(user=agent_bob, now=later)["all"] == 2


# --- search plans -----------------------------------------------------------------------------------------


def _walk_pages(client: Client, params: dict[str, str]) -> list[list[str]]:
    pages: list[list[str]] = []
    html = _get(client, params)
    while True:
        pages.append(_refs(html))
        assert len(pages) < 40, "the pager does not end"
        link = re.search(r'<a rel="next" href="\?([^"]+)">', html)
        if link is None:
            return pages
        html = client.get(f"{QUEUE}?{link.group(1).replace('&amp;', '&')}").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["newest", "oldest", "due", "priority"])
def test_both_search_plans_give_the_same_pages_in_every_order(
    bob_client: Client, crowd: list[Complaint], monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    monkeypatch.setattr("complaints.views.staff.QUEUE_PAGE_SIZE", 7)
    params = {"q": "kettle", "sort": sort}
    monkeypatch.setattr("complaints.selectors.SEARCH_WALK_MATCHES", 0)  # always walk
    walked = _walk_pages(bob_client, params)
    monkeypatch.setattr("complaints.selectors.SEARCH_WALK_MATCHES", 10**9)  # always the GIN index
    indexed = _walk_pages(bob_client, params)
    # A walk whose window runs out before the page is full hands over to the index.
    monkeypatch.setattr("complaints.selectors.SEARCH_WALK_MATCHES", 0)
    monkeypatch.setattr("complaints.selectors.SEARCH_PROBE_ROWS", 5)
    monkeypatch.setattr("complaints.selectors.SEARCH_WALK_WINDOW", 9)
    handed_over = _walk_pages(bob_client, params)

    flat = [reference for page in walked for reference in page]
    assert walked == indexed == handed_over
    assert sorted(flat) == sorted(c.reference for c in crowd if "kettle" in c.description)
    assert len(set(flat)) == len(flat)


@pytest.mark.django_db
def test_a_search_for_nothing_anyone_wrote_is_answered_by_the_index(bob_client: Client, crowd: list[Complaint]) -> None:
    sqls = _queries(lambda: _get(bob_client, {"q": "xylophone"}))

    assert _refs(_get(bob_client, {"q": "xylophone"})) == []
    assert not any("walk_key0" in sql for sql in sqls), "no walk: the probe found no matches"
