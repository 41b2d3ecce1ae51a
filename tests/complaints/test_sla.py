"""Working-time arithmetic (complaints.sla), the choice of promise, and the business calendar's admin."""

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.admin import BusinessCalendarForm
from complaints.models import BusinessCalendar, Category, Holiday, Priority, SlaPolicy
from complaints.services import DEFAULT_SLA_MINUTES, sla_policy_for
from complaints.sla import ALWAYS_OPEN, WorkingTime, add_working_minutes, working_minutes_between, working_time_for
from customers.models import Product
from tests.factories import ProductFactory

EKB = ZoneInfo("Asia/Yekaterinburg")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset({0, 1, 2, 3, 4})


def office(tz: ZoneInfo, *, days: frozenset[int] = WEEKDAYS, holidays: frozenset[date] = frozenset()) -> WorkingTime:
    return WorkingTime(tz=tz, always_open=False, days=days, opens=time(9), closes=time(18), holidays=holidays)


def at(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


def product(code: str, **fields: Any) -> Product:
    return cast(Product, ProductFactory(code=code, **fields))


UNITY_DAY = frozenset({date(2026, 11, 4)})

# (name, working time, start, working minutes, the due moment)
ADD_CASES = [
    # Friday 17:00 + 2 h in 09-18 Mon-Fri: one hour on Friday, one on Monday.
    ("friday to monday", office(EKB), at(EKB, 2026, 11, 20, 17), 120, at(EKB, 2026, 11, 23, 10)),
    ("inside one day", office(EKB), at(EKB, 2026, 11, 23, 9, 30), 60, at(EKB, 2026, 11, 23, 10, 30)),
    ("ends exactly at closing", office(EKB), at(EKB, 2026, 11, 23, 17), 60, at(EKB, 2026, 11, 23, 18)),
    ("after closing", office(EKB), at(EKB, 2026, 11, 23, 19), 30, at(EKB, 2026, 11, 24, 9, 30)),
    ("before opening", office(EKB), at(EKB, 2026, 11, 23, 6), 30, at(EKB, 2026, 11, 23, 9, 30)),
    ("saturday start", office(EKB), at(EKB, 2026, 11, 21, 11), 60, at(EKB, 2026, 11, 23, 10)),
    ("saturday start, no minutes", office(EKB), at(EKB, 2026, 11, 21, 11), 0, at(EKB, 2026, 11, 23, 9)),
    # Tuesday 17:00 + 2 h with Wednesday 4 November a holiday: Thursday 10:00.
    ("holiday skipped", office(EKB, holidays=UNITY_DAY), at(EKB, 2026, 11, 3, 17), 120, at(EKB, 2026, 11, 5, 10)),
    ("two weeks", office(EKB), at(EKB, 2026, 11, 23, 9), 10 * 540, at(EKB, 2026, 12, 4, 18)),
    # DST: the office stays 09-18 local, so the UTC opening moves by an hour over the weekend.
    ("berlin spring", office(BERLIN), at(BERLIN, 2026, 3, 27, 17), 120, at(BERLIN, 2026, 3, 30, 10)),
    ("berlin autumn", office(BERLIN), at(BERLIN, 2026, 10, 23, 17), 120, at(BERLIN, 2026, 10, 26, 10)),
    ("new york spring", office(NEW_YORK), at(NEW_YORK, 2026, 3, 6, 17), 120, at(NEW_YORK, 2026, 3, 9, 10)),
    ("new york autumn", office(NEW_YORK), at(NEW_YORK, 2026, 10, 30, 17), 120, at(NEW_YORK, 2026, 11, 2, 10)),
    # 24/7: plain minutes, whatever the local clocks do.
    ("24/7", ALWAYS_OPEN, at(BERLIN, 2026, 3, 28, 12), 24 * 60, datetime(2026, 3, 29, 11, tzinfo=UTC)),
    ("24/7 autumn", ALWAYS_OPEN, at(NEW_YORK, 2026, 10, 31, 12), 24 * 60, datetime(2026, 11, 1, 16, tzinfo=UTC)),
]


@pytest.mark.parametrize(
    ("working", "start", "minutes", "due"), [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES]
)
def test_add_working_minutes(working: WorkingTime, start: datetime, minutes: int, due: datetime) -> None:
    result = add_working_minutes(working, start, minutes)

    assert result == due
    assert result.tzinfo is UTC
    assert working_minutes_between(working, start, result) == minutes


def test_the_utc_due_times_shift_by_an_hour_across_dst() -> None:
    before = add_working_minutes(office(BERLIN), at(BERLIN, 2026, 3, 27, 17), 60)  # Friday 18:00 CET
    after = add_working_minutes(office(BERLIN), at(BERLIN, 2026, 3, 27, 17), 120)  # Monday 10:00 CEST

    assert before == datetime(2026, 3, 27, 17, tzinfo=UTC)
    assert after == datetime(2026, 3, 30, 8, tzinfo=UTC)  # 10:00 local is 08:00 UTC in summer, 09:00 in winter
    assert add_working_minutes(office(NEW_YORK), at(NEW_YORK, 2026, 10, 30, 17), 120) == datetime(
        2026, 11, 2, 15, tzinfo=UTC
    )


BETWEEN_CASES = [
    # A pause over a night: 17:30-18:00 and 09:00-10:00.
    ("pause over a night", office(EKB), at(EKB, 2026, 11, 23, 17, 30), at(EKB, 2026, 11, 24, 10), 90),
    ("over a weekend", office(EKB), at(EKB, 2026, 11, 20, 17), at(EKB, 2026, 11, 23, 10), 120),
    ("over a holiday", office(EKB, holidays=UNITY_DAY), at(EKB, 2026, 11, 3, 17), at(EKB, 2026, 11, 5, 10), 120),
    ("all outside", office(EKB), at(EKB, 2026, 11, 21, 8), at(EKB, 2026, 11, 22, 23), 0),
    ("backwards", office(EKB), at(EKB, 2026, 11, 24, 10), at(EKB, 2026, 11, 23, 10), 0),
    ("seconds round down", office(EKB), at(EKB, 2026, 11, 23, 9), at(EKB, 2026, 11, 23, 9, 1, 59), 1),
    # Seven-day offices over the DST Sundays: two full days are 18 working hours however long the nights are.
    (
        "berlin sunday spring",
        office(BERLIN, days=frozenset(range(7))),
        at(BERLIN, 2026, 3, 28, 9),
        at(BERLIN, 2026, 3, 30, 9),
        1080,
    ),
    (
        "berlin sunday autumn",
        office(BERLIN, days=frozenset(range(7))),
        at(BERLIN, 2026, 10, 24, 9),
        at(BERLIN, 2026, 10, 26, 9),
        1080,
    ),
    ("24/7 across dst", ALWAYS_OPEN, at(BERLIN, 2026, 3, 28, 12), at(BERLIN, 2026, 3, 29, 12), 23 * 60),
]


@pytest.mark.parametrize(
    ("working", "start", "end", "minutes"), [c[1:] for c in BETWEEN_CASES], ids=[c[0] for c in BETWEEN_CASES]
)
def test_working_minutes_between(working: WorkingTime, start: datetime, end: datetime, minutes: int) -> None:
    assert working_minutes_between(working, start, end) == minutes


@pytest.mark.parametrize("opens", [time(2, 0), time(2, 30)])
def test_an_opening_hour_that_does_not_exist_or_repeats_does_not_fail(opens: time) -> None:
    # 02:00-03:00 does not exist in Berlin on 29 March 2026 and happens twice on 25 October.
    working = WorkingTime(tz=BERLIN, always_open=False, days=frozenset(range(7)), opens=opens, closes=time(2, 45))
    for start in (at(BERLIN, 2026, 3, 28, 12), at(BERLIN, 2026, 10, 24, 12)):
        due = add_working_minutes(working, start, 30)
        assert start < due < start + timedelta(days=3)
        assert working_minutes_between(working, start, due) == 30


@pytest.mark.parametrize(
    "working",
    [
        office(EKB, days=frozenset()),
        WorkingTime(tz=EKB, always_open=False, days=WEEKDAYS, opens=time(18), closes=time(9)),
        # Open on Mondays only, and every Monday for two years is a holiday.
        office(
            EKB, days=frozenset({0}), holidays=frozenset(date(2026, 11, 23) + timedelta(weeks=n) for n in range(110))
        ),
    ],
    ids=["no working days", "closes before it opens", "all holidays"],
)
def test_a_calendar_that_never_opens_is_a_clear_error(working: WorkingTime) -> None:
    with pytest.raises(ValueError, match="business calendar"):
        add_working_minutes(working, at(EKB, 2026, 11, 20, 12), 60)


def test_naive_or_negative_input_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_working_minutes(office(EKB), datetime(2026, 11, 20, 12), 60)
    with pytest.raises(ValueError, match="negative"):
        add_working_minutes(office(EKB), at(EKB, 2026, 11, 20, 12), -1)


def test_long_targets_are_fast() -> None:
    working = office(EKB, holidays=UNITY_DAY)
    start = at(EKB, 2026, 11, 20, 17)
    runs = 200
    began = clock.perf_counter()
    for _ in range(runs):
        due = add_working_minutes(working, start, 30 * 24 * 60)  # 30 days of minutes: 80 working days
        working_minutes_between(working, start, due)
    per_call = (clock.perf_counter() - began) / runs / 2

    assert per_call < 0.002, f"{per_call * 1e6:.0f} µs per call"


zones = st.sampled_from([EKB, BERLIN, NEW_YORK])
workings = st.one_of(
    st.just(ALWAYS_OPEN),
    st.builds(
        lambda tz, days, holidays: office(tz, days=days, holidays=holidays),
        zones,
        st.frozensets(st.integers(0, 6), min_size=1),
        st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20),
    ),
)
starts = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=zones)


@settings(max_examples=300, deadline=None)
@given(working=workings, start=starts, minutes=st.integers(0, 20_000))
def test_adding_then_counting_gives_the_minutes_back(working: WorkingTime, start: datetime, minutes: int) -> None:
    due = add_working_minutes(working, start, minutes)

    assert working_minutes_between(working, start, due) == minutes
    assert due >= start


@settings(max_examples=200, deadline=None)
@given(working=workings, start=starts, fewer=st.integers(0, 10_000), more=st.integers(0, 10_000))
def test_more_minutes_never_end_earlier(working: WorkingTime, start: datetime, fewer: int, more: int) -> None:
    fewer, more = sorted((fewer, more))

    assert add_working_minutes(working, start, fewer) <= add_working_minutes(working, start, more)


# --- the calendar from the database, and the choice of promise ----------------------------------------------


@pytest.mark.django_db
def test_a_calendar_loads_with_its_holidays(django_assert_num_queries: Any) -> None:
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="Asia/Yekaterinburg")
    Holiday.objects.create(calendar=calendar, date=date(2026, 11, 4), name="Unity Day")

    with django_assert_num_queries(1):
        working = working_time_for(calendar)

    assert working == office(EKB, holidays=UNITY_DAY)
    assert working_time_for(None) is ALWAYS_OPEN
    assert working_time_for(BusinessCalendar(name="Always", always_open=True)) is ALWAYS_OPEN


@pytest.mark.django_db
def test_the_most_specific_promise_wins(django_assert_num_queries: Any) -> None:
    kettle, router = product("kettle"), product("router")
    # The migration's row; a transactional test run before this one flushes it away, so it is made again then.
    general, _ = SlaPolicy.objects.get_or_create(
        priority=Priority.NORMAL,
        category="",
        product=None,
        defaults={"first_response_minutes": 8 * 60, "resolution_minutes": 3 * 24 * 60},
    )
    delivery = SlaPolicy.objects.create(
        priority=Priority.NORMAL, category=Category.DELIVERY, first_response_minutes=30, resolution_minutes=600
    )
    for_kettle = SlaPolicy.objects.create(
        priority=Priority.NORMAL, product=kettle, first_response_minutes=20, resolution_minutes=300
    )

    def chosen(category: str, product_id: int | None) -> SlaPolicy:
        return sla_policy_for(priority=Priority.NORMAL, category=category, product_id=product_id)

    with django_assert_num_queries(1):
        assert chosen(Category.DELIVERY, kettle.pk) == for_kettle
    assert chosen(Category.DEFECT, kettle.pk) == for_kettle
    assert chosen(Category.DELIVERY, router.pk) == delivery
    assert chosen(Category.DELIVERY, None) == delivery
    assert chosen(Category.DEFECT, router.pk) == general
    assert chosen(Category.DEFECT, None) == general


@pytest.mark.django_db
def test_without_a_policy_row_the_built_in_defaults_apply_around_the_clock() -> None:
    SlaPolicy.objects.filter(priority=Priority.LOW).delete()

    policy = sla_policy_for(priority=Priority.LOW, category=Category.DEFECT, product_id=None)

    assert policy._state.adding  # not saved
    assert policy.calendar is None
    assert (policy.first_response_minutes, policy.resolution_minutes) == DEFAULT_SLA_MINUTES[Priority.LOW]


# --- the admin --------------------------------------------------------------------------------------------


def _calendar_data(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Office hours",
        "time_zone": "Asia/Yekaterinburg",
        "working_days": ["0", "1", "2", "3", "4"],
        "opens_at": "09:00",
        "closes_at": "18:00",
        **overrides,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"working_days": []}, "working_days"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../etc/passwd"}, "time_zone"),
        ({"opens_at": "18:00", "closes_at": "09:00"}, "closes_at"),
    ],
)
def test_the_calendar_form_refuses_a_calendar_that_cannot_work(overrides: dict[str, Any], field: str) -> None:
    form = BusinessCalendarForm(data=_calendar_data(**overrides))

    assert not form.is_valid()
    assert field in form.errors


@pytest.mark.django_db
def test_a_24_7_calendar_needs_no_working_days() -> None:
    form = BusinessCalendarForm(data=_calendar_data(working_days=[], always_open="on"))

    assert form.is_valid(), form.errors


def _admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def _admin_post(**overrides: Any) -> dict[str, Any]:
    return {
        **_calendar_data(**overrides),
        "holidays-TOTAL_FORMS": "1",
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
        "holidays-0-date": "2026-11-04",
        "holidays-0-name": "Unity Day",
    }


@pytest.mark.django_db
def test_the_admin_saves_a_calendar_with_holidays_and_refuses_one_without_working_days() -> None:
    client = _admin_client()
    url = reverse("admin:complaints_businesscalendar_add")

    refused = client.post(url, _admin_post(working_days=[]))
    assert refused.status_code == 200
    assert "Choose at least one working day" in refused.content.decode()
    assert not BusinessCalendar.objects.exists()

    saved = client.post(url, _admin_post())
    assert saved.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert calendar.working_days == [0, 1, 2, 3, 4]
    assert working_time_for(calendar) == office(EKB, holidays=UNITY_DAY)


@pytest.mark.django_db
def test_the_policy_list_shows_scope_calendar_and_targets() -> None:
    calendar = BusinessCalendar.objects.create(name="Office hours", time_zone="Asia/Yekaterinburg")
    SlaPolicy.objects.filter(priority=Priority.NORMAL, category="", product__isnull=True).update(calendar=calendar)
    SlaPolicy.objects.create(
        priority=Priority.NORMAL,
        product=product("kettle", name="Kettle"),
        first_response_minutes=20,
        resolution_minutes=300,
    )

    page = _admin_client().get(reverse("admin:complaints_slapolicy_changelist"))

    assert page.status_code == 200
    body = page.content.decode()
    assert "Office hours" in body
    assert "Kettle" in body
    assert "every complaint of this priority" in body
