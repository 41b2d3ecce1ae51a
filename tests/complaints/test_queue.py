"""The staff queue: tabs and their counts, filters, search, sort orders, keyset pages, saved filters, refresh."""

import html as html_lib
import re
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Category, Complaint, SavedFilter, Team
from complaints.queue import Tab, queue_tab_counts
from complaints.services import (
    complaint_assign,
    complaint_change_team,
    complaint_customer_reply,
    complaint_reply,
    complaint_transition,
)
from complaints.transitions import Action
from tests.factories import ProductFactory, agent, closing_answers, submit_complaint

QUEUE = "/dashboard/"
T0 = datetime.fromisoformat("2026-03-02 09:00:00+00:00")


def _refs(html: str) -> list[str]:
    body = re.search(r'<tbody id="queue-rows">(.*?)</tbody>', html, re.S)
    assert body, "no queue rows"
    return re.findall(r'<a href="/dashboard/complaints/(RC-\d{4}-\d{6})/">', body.group(1))


def _counts(html: str) -> dict[str, int]:
    return {tab: int(n) for tab, n in re.findall(r'data-testid="count-(\w+)">(\d+)<', html)}


def _next_link(html: str) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)">', html)
    return html_lib.unescape(match.group(1)) if match else None


def _get(client: Client, params: dict[str, str] | None = None) -> str:
    response = client.get(QUEUE, params or {})
    assert response.status_code == 200
    return response.content.decode()


def _walk(client: Client, params: dict[str, str]) -> list[list[str]]:
    pages: list[list[str]] = []
    html = _get(client, params)
    while True:
        pages.append(_refs(html))
        assert len(pages) < 30, "the pager does not end"
        link = _next_link(html)
        if link is None:
            return pages
        html = client.get(f"{QUEUE}{link}").content.decode()


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


def _submit_at(when: datetime, **fields: Any) -> Complaint:
    with time_machine.travel(when, tick=False):
        return submit_complaint(**fields)


@pytest.fixture
def board(agent_bob: Any) -> dict[str, Any]:
    """Complaints in every queue state, seen at ``now`` (8 h 1 min after T0; first response due after 8 h)."""
    eve = agent("eve")
    breached = _submit_at(T0, email="breached@example.com")
    due_soon = _submit_at(T0 + timedelta(minutes=30), email="soon@example.com")
    mine = _submit_at(T0 + timedelta(hours=2), email="mine@example.com")
    theirs = _submit_at(T0 + timedelta(hours=3), email="theirs@example.com")
    waiting = _submit_at(T0 + timedelta(hours=4), email="waiting@example.com")
    closed = _submit_at(T0 + timedelta(hours=5), email="closed@example.com")
    with time_machine.travel(T0 + timedelta(hours=6), tick=False):
        complaint_assign(complaint=mine, assignee=agent_bob, actor=agent_bob)
        complaint_assign(complaint=theirs, assignee=eve, actor=agent_bob)
        complaint_transition(complaint=waiting, action=Action.START, actor=agent_bob)
        complaint_transition(complaint=waiting, action=Action.REQUEST_INFO, actor=agent_bob, comment="Photo?")
        complaint_transition(
            complaint=closed, action=Action.REJECT, actor=agent_bob, comment="Not ours.", **closing_answers("reject")
        )
    objs = {"breached": breached, "due_soon": due_soon, "mine": mine, "theirs": theirs, "waiting": waiting}
    objs = {name: Complaint.objects.get(pk=c.pk) for name, c in objs.items()}
    assert objs["breached"].first_response_due == T0 + timedelta(hours=8), "the test assumes an 8 h first response"
    return {**objs, "closed": closed, "eve": eve, "now": T0 + timedelta(hours=8, minutes=1)}


# --- tabs -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_tab_shows_its_complaints_and_counts(bob_client: Client, board: dict[str, Any]) -> None:
    ref = {name: c.reference for name, c in board.items() if isinstance(c, Complaint)}
    expected = {
        Tab.MINE: [ref["mine"]],
        Tab.UNASSIGNED: [ref["waiting"], ref["due_soon"], ref["breached"]],
        Tab.DUE_SOON: [ref["due_soon"]],
        Tab.BREACHED: [ref["breached"]],
        Tab.AWAITING: [ref["waiting"]],
        Tab.ALL: [ref["waiting"], ref["theirs"], ref["mine"], ref["due_soon"], ref["breached"]],
    }
    with time_machine.travel(board["now"], tick=False):
        pages = {tab: _get(bob_client, {"tab": tab}) for tab in expected}
        default = _get(bob_client)

    for tab, refs in expected.items():
        assert _refs(pages[tab]) == refs, tab
    assert _counts(default) == {tab: len(refs) for tab, refs in expected.items()}
    assert _refs(default) == expected[Tab.ALL]


@pytest.mark.django_db
def test_tab_counts_take_one_query(board: dict[str, Any], agent_bob: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        counts = queue_tab_counts(user=agent_bob, now=board["now"])
    assert len(queries) == 1
    assert counts[Tab.ALL] == 5


@pytest.mark.django_db
def test_rows_show_the_sla_countdown(bob_client: Client, board: dict[str, Any]) -> None:
    with time_machine.travel(board["now"], tick=False):
        html = _get(bob_client)

    assert re.search(r'data-sla="breached"[^>]*>overdue by 1\xa0minute<', html)
    assert re.search(r'data-sla="due_soon"[^>]*>29\xa0minutes left<', html)
    assert 'data-sla="ok"' in html


@pytest.mark.django_db
def test_a_customers_new_message_counts_down_to_our_next_answer(bob_client: Client, agent_bob: Any) -> None:
    complaint = _submit_at(T0, email="writes-again@example.com")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        complaint_reply(complaint=complaint, author=agent_bob, body="We are sorry: this is our fault. We are on it.")
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        complaint_customer_reply(complaint=complaint, body="It broke again this morning.")
    complaint.refresh_from_db()
    next_due = complaint.next_response_due
    assert next_due is not None
    assert complaint.resolution_due is not None
    assert next_due < complaint.resolution_due

    with time_machine.travel(next_due - timedelta(minutes=30), tick=False):
        soon = _get(bob_client, {"tab": Tab.DUE_SOON})
    with time_machine.travel(next_due + timedelta(minutes=1), tick=False):
        late = _get(bob_client, {"tab": Tab.BREACHED})
        by_due = _refs(_get(bob_client, {"sort": "due"}))

    assert _refs(soon) == [complaint.reference]
    assert re.search(r'data-sla="due_soon"[^>]*>30\xa0minutes left<', soon)
    assert _refs(late) == [complaint.reference]
    assert re.search(r'data-sla="breached"[^>]*>overdue by 1\xa0minute<', late)
    assert _counts(late)[Tab.BREACHED] == 1
    assert by_due == [complaint.reference]


# --- filters ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_filters_by_status_priority_category_channel_and_product(bob_client: Client, agent_bob: Any) -> None:
    kettle: Any = ProductFactory(code="kettle", name="Kettle")
    plain = submit_complaint(email="plain@example.com")
    outage = submit_complaint(email="outage@example.com", category=Category.SERVICE_OUTAGE)  # high priority
    by_mail = submit_complaint(email="mail@example.com", channel="email", category=Category.BILLING)
    with_product = submit_complaint(email="product@example.com", product_code="kettle")
    started = submit_complaint(email="started@example.com")
    complaint_transition(complaint=started, action=Action.START, actor=agent_bob)

    assert _refs(_get(bob_client, {"status": "in_progress"})) == [started.reference]
    assert _refs(_get(bob_client, {"priority": "high"})) == [outage.reference]
    assert _refs(_get(bob_client, {"category": "billing"})) == [by_mail.reference]
    assert _refs(_get(bob_client, {"channel": "email"})) == [by_mail.reference]
    assert _refs(_get(bob_client, {"product": str(kettle.pk)})) == [with_product.reference]
    assert plain.reference in _refs(_get(bob_client))


@pytest.mark.django_db
def test_filters_by_assignee_and_unassigned(bob_client: Client, agent_bob: Any) -> None:
    mine = submit_complaint(email="mine@example.com")
    nobody = submit_complaint(email="nobody@example.com")
    complaint_assign(complaint=mine, assignee=agent_bob, actor=agent_bob)

    assert _refs(_get(bob_client, {"assignee": str(agent_bob.pk)})) == [mine.reference]
    assert _refs(_get(bob_client, {"assignee": "unassigned"})) == [nobody.reference]


@pytest.mark.django_db
def test_filters_by_team_and_no_team(bob_client: Client, agent_bob: Any) -> None:
    kitchen = Team.objects.create(name="Kitchen")
    kitchen.products.add(ProductFactory.create(code="kettle", name="Kettle"))
    network = Team.objects.create(name="Network")
    network.products.add(ProductFactory.create(code="router", name="Router"))
    kettle = submit_complaint(email="kettle@example.com", product_code="kettle")
    router = submit_complaint(email="router@example.com", product_code="router")
    nowhere = submit_complaint(email="nowhere@example.com")

    page = _get(bob_client)
    assert f'<option value="{kitchen.pk}">Kitchen</option>' in page
    assert '<option value="none">No team</option>' in page
    assert _refs(_get(bob_client, {"team": str(kitchen.pk)})) == [kettle.reference]
    assert _refs(_get(bob_client, {"team": str(network.pk)})) == [router.reference]
    assert _refs(_get(bob_client, {"team": "none"})) == [nowhere.reference]
    assert re.search(
        rf'<option value="{network.pk}" selected>Network</option>', _get(bob_client, {"team": str(network.pk)})
    )

    complaint_change_team(complaint=nowhere, team_id=network.pk, actor=agent_bob, reason="Their router, after all.")

    assert _refs(_get(bob_client, {"team": str(network.pk)})) == [nowhere.reference, router.reference]
    assert _refs(_get(bob_client, {"team": "none"})) == []
    # An unknown team is dropped like any invalid value: the whole queue.
    assert len(_refs(_get(bob_client, {"team": "999999"}))) == 3


@pytest.mark.django_db
def test_filters_by_sla_state(bob_client: Client, board: dict[str, Any]) -> None:
    with time_machine.travel(board["now"], tick=False):
        breached = _refs(_get(bob_client, {"sla": "breached"}))
        soon = _refs(_get(bob_client, {"sla": "due_soon"}))
        ok = _refs(_get(bob_client, {"sla": "ok"}))

    assert breached == [board["breached"].reference]
    assert soon == [board["due_soon"].reference]
    assert ok == [board["waiting"].reference, board["theirs"].reference, board["mine"].reference]


@pytest.mark.django_db
def test_filters_by_received_date_range(bob_client: Client) -> None:
    _submit_at(T0 - timedelta(days=3), email="early@example.com")
    middle = _submit_at(T0 - timedelta(days=1), email="middle@example.com")
    _submit_at(T0, email="late@example.com")

    day = (T0 - timedelta(days=1)).date().isoformat()
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert _refs(_get(bob_client, {"received_from": day, "received_to": day})) == [middle.reference]


# --- search -----------------------------------------------------------------------------------------------


@pytest.fixture
def searchable(db: Any) -> dict[str, Complaint]:
    return {
        "kettle": submit_complaint(name="Alice Walker", email="alice.walker@example.com"),
        "router": submit_complaint(
            name="Boris Ivanov", email="boris@example.org", description="The router drops the connection nightly."
        ),
        "russian": submit_complaint(
            name="Мария Петрова",
            email="maria@example.ru",
            description="Чайник перестал работать через два дня.",
            language="ru",
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("walker", "kettle"),  # a customer's name
        ("Boris Ivanov", "router"),  # a full name, any case
        ("router", "router"),  # a word from the text
        ("connect", "router"),  # the beginning of a word
        ("boris@example.org", "router"),  # an email
        ("Петрова", "russian"),  # a Russian name
        ("чайник", "russian"),  # a Russian word from the text
        ("перестал работ", "russian"),  # Russian words, the last one cut short
    ],
)
def test_search_finds_by_name_email_and_text(
    bob_client: Client, searchable: dict[str, Complaint], query: str, expected: str
) -> None:
    assert _refs(_get(bob_client, {"q": query})) == [searchable[expected].reference]


@pytest.mark.django_db
def test_search_finds_a_reference_exactly(bob_client: Client, searchable: dict[str, Complaint]) -> None:
    reference = searchable["router"].reference

    assert _refs(_get(bob_client, {"q": reference})) == [reference]
    assert _refs(_get(bob_client, {"q": reference.lower()})) == [reference]


@pytest.mark.django_db
def test_search_with_nothing_matching_shows_no_rows(bob_client: Client, searchable: dict[str, Complaint]) -> None:
    assert _refs(_get(bob_client, {"q": "zebra"})) == []
    assert _refs(_get(bob_client, {"q": "'\\:*&|!"})) == [c.reference for c in searchable.values()][::-1]


@pytest.mark.django_db
def test_the_search_document_is_filled_on_submission(searchable: dict[str, Complaint]) -> None:
    complaint = Complaint.objects.get(pk=searchable["russian"].pk)
    assert complaint.search_document == (
        f"{complaint.reference.lower()} мария петрова maria@example.ru чайник перестал работать через два дня."
    )


# --- sorting and pages ------------------------------------------------------------------------------------


@pytest.fixture
def sortable(agent_bob: Any) -> list[Complaint]:
    """Received an hour apart; the outage is high priority; the second is answered (resolution due next)."""
    complaints = [
        _submit_at(T0, email="a@example.com"),
        _submit_at(T0 + timedelta(hours=1), email="b@example.com"),
        _submit_at(T0 + timedelta(hours=2), email="c@example.com", category=Category.SERVICE_OUTAGE),
        _submit_at(T0 + timedelta(hours=3), email="d@example.com"),
    ]
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        complaint_reply(complaint=complaints[1], author=agent_bob, body="We are looking into it.")
    return [Complaint.objects.get(pk=c.pk) for c in complaints]


@pytest.mark.django_db
def test_sort_orders(bob_client: Client, sortable: list[Complaint]) -> None:
    a, b, c, d = (complaint.reference for complaint in sortable)
    by_due = [x.reference for x in sorted(sortable, key=_due_key)]

    assert _refs(_get(bob_client)) == [d, c, b, a]
    assert _refs(_get(bob_client, {"sort": "newest"})) == [d, c, b, a]
    assert _refs(_get(bob_client, {"sort": "oldest"})) == [a, b, c, d]
    assert _refs(_get(bob_client, {"sort": "priority"})) == [c, d, b, a]
    assert _refs(_get(bob_client, {"sort": "due"})) == by_due
    assert by_due[-1] == b  # answered: only its resolution (days away) is still owed


def _due_key(complaint: Complaint) -> datetime:
    first = complaint.first_response_due if complaint.first_responded_at is None else None
    owed = [due for due in (first, complaint.next_response_due, complaint.resolution_due) if due is not None]
    assert owed
    return min(owed)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["newest", "oldest", "due", "priority"])
def test_keyset_pages_walk_every_sort_without_repeats(
    bob_client: Client, monkeypatch: pytest.MonkeyPatch, agent_bob: Any, sort: str
) -> None:
    with time_machine.travel(T0, tick=False):  # same instant: ties on every key but the id
        tied = [submit_complaint(email=f"tie{i}@example.com").reference for i in range(3)]
    others = [
        _submit_at(T0 + timedelta(minutes=i), email=f"o{i}@example.com", category=category).reference
        for i, category in enumerate([Category.SERVICE_OUTAGE, Category.DEFECT, Category.SERVICE_OUTAGE], start=1)
    ]
    one_page = _refs(_get(bob_client, {"sort": sort}))
    monkeypatch.setattr("complaints.views.staff.QUEUE_PAGE_SIZE", 2)

    pages = _walk(bob_client, {"sort": sort})

    assert [len(page) for page in pages] == [2, 2, 2]
    assert [ref for page in pages for ref in page] == one_page
    assert sorted(one_page) == sorted(tied + others)


@pytest.mark.django_db
def test_keyset_pages_keep_the_filters(bob_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("complaints.views.staff.QUEUE_PAGE_SIZE", 2)
    billing = [submit_complaint(email=f"b{i}@example.com", category=Category.BILLING).reference for i in range(3)]
    submit_complaint(email="other@example.com")

    pages = _walk(bob_client, {"category": "billing", "sort": "oldest"})

    assert pages == [billing[:2], billing[2:]]


# --- saved filters ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_saved_filter_is_listed_and_opens_the_queue_with_it(bob_client: Client) -> None:
    response = bob_client.post(
        "/dashboard/filters/", {"name": "Billing by mail", "query": "category=billing&channel=email&after=1_2"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/?category=billing&channel=email"
    html = _get(bob_client)
    assert '<a href="?category=billing&amp;channel=email">Billing by mail</a>' in html


@pytest.mark.django_db
def test_saved_filters_are_private_to_their_owner(client: Client, agent_bob: Any) -> None:
    eve = agent("eve")
    client.force_login(eve)
    client.post("/dashboard/filters/", {"name": "Eve's urgent", "query": "priority=urgent"})
    saved = SavedFilter.objects.get(user=eve)

    client.force_login(agent_bob)
    assert "Eve&#x27;s urgent" not in _get(client)
    assert client.post(f"/dashboard/filters/{saved.pk}/delete/").status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


@pytest.mark.django_db
def test_deleting_a_saved_filter(bob_client: Client, agent_bob: Any) -> None:
    bob_client.post("/dashboard/filters/", {"name": "Mine", "query": "tab=mine"})
    saved = SavedFilter.objects.get(user=agent_bob)

    assert bob_client.get(f"/dashboard/filters/{saved.pk}/delete/").status_code == 405
    assert bob_client.post(f"/dashboard/filters/{saved.pk}/delete/").status_code == 302
    assert not SavedFilter.objects.exists()
    assert 'data-testid="saved-filter"' not in _get(bob_client)


@pytest.mark.django_db
def test_saving_under_an_existing_name_replaces_it_and_a_blank_name_is_refused(
    bob_client: Client, agent_bob: Any
) -> None:
    bob_client.post("/dashboard/filters/", {"name": "Mine", "query": "tab=mine"})
    bob_client.post("/dashboard/filters/", {"name": "Mine", "query": "tab=mine&priority=high"})
    bob_client.post("/dashboard/filters/", {"name": "  ", "query": "tab=all"})

    assert list(SavedFilter.objects.filter(user=agent_bob).values_list("name", "query")) == [
        ("Mine", "priority=high&tab=mine")
    ]


@pytest.mark.django_db
def test_saving_a_filter_needs_the_csrf_token(agent_bob: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_bob)

    assert client.post("/dashboard/filters/", {"name": "x", "query": "tab=mine"}).status_code == 403


# --- robustness, refresh, cost ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"tab": "nope"},
        {"status": "sleeping", "priority": "9", "category": "<b>", "channel": "fax"},
        {"product": "abc", "assignee": "999999", "sla": "late"},
        {"received_from": "2026-13-45", "received_to": "yesterday"},
        {"sort": "random", "after": "1_2_3_4"},
        {"sort": "priority", "after": "x_y_z"},
        {"q": "a" * 500},
        {"assignee": "-1", "product": "99999999999999999999999"},
    ],
)
def test_invalid_parameters_fall_back_to_the_defaults(bob_client: Client, params: dict[str, str]) -> None:
    complaint = submit_complaint()

    assert _refs(_get(bob_client, params)) == [complaint.reference]


@pytest.mark.django_db
def test_the_partial_render_is_only_the_refreshed_fragment(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.get(QUEUE, {"partial": "1", "tab": "unassigned"})

    html = response.content.decode()
    assert response.status_code == 200
    assert _refs(html) == [complaint.reference]
    assert _counts(html)[Tab.UNASSIGNED] == 1
    assert 'id="queue-tabs"' in html
    assert 'id="queue-pager"' in html
    assert "<html" not in html
    assert "<form" not in html


@pytest.mark.django_db
def test_the_full_page_has_the_refresh_script_and_works_without_it(bob_client: Client) -> None:
    html = _get(bob_client)

    assert re.search(r'<script src="/static/js/queue\.js" defer></script>', html)
    assert '<form method="get" class="filters" role="search">' in html


# Session, user, permissions (2), the rows, the tab counts (the test settings switch their cache off), saved
# filters, and the navigation's duty switch. The filter choices come from the cache once read (one query when
# they change: see test_queue_speed.py); a word search adds its probe and the fetch of its rows by id.
QUEUE_MAX_QUERIES = 8
SEARCH_EXTRA_QUERIES = 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"tab": "mine", "sort": "due"},
        {"q": "kettle", "sort": "priority", "sla": "ok", "priority": "normal", "assignee": "unassigned"},
        {"status": "new", "received_from": "2020-01-01", "sort": "oldest", "category": "defect"},
        {"team": "none", "channel": "web", "sort": "newest"},
        {"incident": "none", "sort": "due"},
    ],
)
def test_the_queue_costs_the_same_few_queries_for_5_or_60_rows(
    bob_client: Client,
    agent_bob: Any,
    django_assert_max_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, str],
) -> None:
    monkeypatch.setattr("complaints.views.staff.QUEUE_PAGE_SIZE", 100)
    bob_client.post("/dashboard/filters/", {"name": "Mine", "query": "tab=mine"})
    _get(bob_client)  # reads the filter choices into the cache
    limit = QUEUE_MAX_QUERIES + (SEARCH_EXTRA_QUERIES if params.get("q") else 0)
    for count in (5, 60):
        Complaint.objects.all().delete()
        for i in range(count):
            complaint = submit_complaint(email=f"q{count}-{i}@example.com")
            if i % 2 and params.get("tab") == "mine":
                complaint_assign(complaint=complaint, assignee=agent_bob, actor=agent_bob)
        with django_assert_max_num_queries(limit):
            html = _get(bob_client, params)
        assert len(_refs(html)) == (count // 2 if params.get("tab") == "mine" else count)


@pytest.mark.django_db
def test_the_queue_renders_on_a_quiet_day(bob_client: Client) -> None:
    html = _get(bob_client)

    assert "No complaints here. Well done." in html
    assert _counts(html) == dict.fromkeys(
        [Tab.MINE, Tab.UNASSIGNED, Tab.DUE_SOON, Tab.BREACHED, Tab.AWAITING, Tab.ALL], 0
    )


@pytest.mark.django_db(transaction=True)  # the seeder commits batch by batch
def test_seeded_complaints_are_searchable(client: Client) -> None:
    from complaints.benchmarks.seeding import bench_seed

    bench_seed(complaints=60, batch=25, log=lambda line: None, seed=3)
    complaint = Complaint.objects.filter(status="new").select_related("customer").order_by("pk").first()
    assert complaint is not None
    assert complaint.search_document == (
        f"{complaint.reference} {complaint.customer.name} {complaint.customer.email} {complaint.description}".lower()
    )
    client.force_login(agent("searcher"))

    assert complaint.reference in _refs(_get(client, {"q": complaint.customer.email}))


@pytest.mark.django_db
def test_tab_counts_are_reused_for_a_few_seconds(agent_bob: Any, settings: Any) -> None:
    from complaints.selectors import complaint_queue_counts

    settings.QUEUE_COUNTS_CACHE_SECONDS = 1
    submit_complaint()
    first = complaint_queue_counts(user=agent_bob, now=timezone.now())
    submit_complaint(email="second@example.com")

    assert complaint_queue_counts(user=agent_bob, now=timezone.now()) == first
    time.sleep(1.2)  # the cache (Redis) expires by its own clock
    assert complaint_queue_counts(user=agent_bob, now=timezone.now())["all"] == first["all"] + 1
