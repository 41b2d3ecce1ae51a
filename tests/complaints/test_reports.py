"""The managers' reports, figure by figure, against small histories whose answers were worked out by hand."""

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.contrib.auth.models import User

from compensation.models import CompensationOffer, Incident, IncidentCredit, OfferKind, OfferStatus
from complaints.models import Category, Channel, Complaint, Outcome, Priority, RootCause, Status, Team
from complaints.reports.base import Period, Report
from complaints.reports.registry import REPORTS, report_build
from complaints.reports.stats import interpolated
from customers.models import Purchase
from tests.factories import CustomerFactory, ProductFactory, PurchaseFactory, UserFactory, fulfilled_voucher

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30), "week")
_numbers = itertools.count(1)


def at(day: int, hour: int = 10, month: int = 11, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def complaint(received_at: datetime, **fields: Any) -> Complaint:
    """A complaint row exactly as given (the services' arithmetic is tested elsewhere)."""
    fields.setdefault("customer", CustomerFactory())
    fields.setdefault("category", Category.DEFECT)
    number = next(_numbers)
    return Complaint.objects.create(
        reference=f"RC-2026-{number:06d}", description="It broke.", received_at=received_at, **fields
    )


def build(slug: str, period: Period = NOVEMBER) -> Report:
    return report_build(slug=slug, period=period, now=NOW)


def rows(report: Report, table: str, key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in report.table(table).rows}


def figures(report: Report) -> dict[str, Any]:
    return {figure.key: figure.value for figure in report.figures}


@pytest.mark.django_db
def test_volume_counts_the_period_by_category_channel_product_and_the_backlog_by_age() -> None:
    kettle = ProductFactory(code="kettle", name="Kettle")
    for day in (2, 3, 10):
        complaint(at(day), category=Category.DEFECT, channel=Channel.WEB, product=kettle, status=Status.CLOSED)
    for day in (17, 30):
        complaint(at(day, 23), category=Category.DELIVERY, channel=Channel.EMAIL, status=Status.CLOSED)
    complaint(at(15, month=10), category=Category.DEFECT, status=Status.CLOSED)  # before the period
    # Open now: 2 hours, 2 days, 5 days, 20 days and 60 days old.
    for age in (timedelta(hours=2), timedelta(days=2), timedelta(days=5), timedelta(days=20), timedelta(days=60)):
        complaint(NOW - age, status=Status.IN_PROGRESS)

    report = build("volume")

    # The 5 closed ones, and the open one 20 days old (17 November); the other open ones came in October or December.
    assert figures(report)["received"] == 5 + 1
    by_category = rows(report, "by_category", "category")
    assert (by_category["Faulty product"]["received"], by_category["Faulty product"]["share"]) == (4, 66.7)
    assert (by_category["Delivery"]["received"], by_category["Delivery"]["share"]) == (2, 33.3)
    by_channel = rows(report, "by_channel", "channel")
    assert (by_channel["Web form"]["received"], by_channel["Email"]["received"]) == (4, 2)
    assert rows(report, "by_product", "product")["Kettle"]["received"] == 3
    assert [row["received"] for row in report.table("received").rows] == [2, 1, 2, 1]  # weeks 45, 46, 47, 49
    assert [row["open"] for row in report.table("backlog_age").rows] == [1, 1, 1, 1, 1]
    assert figures(report)["backlog"] == 5


@pytest.mark.django_db
def test_promises_kept_leave_out_what_is_not_yet_due() -> None:
    team = Team.objects.create(name="Hardware")
    due = {"acknowledgement_due": at(10, 11), "first_response_due": at(11), "resolution_due": at(20)}
    # A: every promise kept.
    complaint(
        at(10),
        team=team,
        status=Status.RESOLVED,
        acknowledged_at=at(10, 10, minute=5),
        first_responded_at=at(10, 15),
        decided_at=at(15),
        **due,
    )
    # B: first response and resolution late.
    complaint(
        at(10),
        team=team,
        status=Status.RESOLVED,
        acknowledged_at=at(10, 10, minute=5),
        first_responded_at=at(12),
        decided_at=at(25),
        **due,
    )
    # C: still not answered, its first response due in the past; resolution due after now.
    complaint(
        at(10),
        status=Status.NEW,
        acknowledged_at=at(10, 10, minute=5),
        acknowledgement_due=at(10, 11),
        first_response_due=at(11),
        resolution_due=NOW + timedelta(days=1),
    )
    # D: nothing done, only the acknowledgement due passed.
    complaint(
        at(10),
        status=Status.NEW,
        acknowledgement_due=at(10, 11),
        first_response_due=NOW + timedelta(hours=1),
        resolution_due=NOW + timedelta(days=2),
    )

    report = build("sla")

    promises = rows(report, "promises", "promise")
    assert {k: promises["Acknowledgement"][k] for k in ("kept", "broken", "pending", "share")} == {
        "kept": 3,
        "broken": 1,
        "pending": 0,
        "share": 75.0,
    }
    assert {k: promises["First response"][k] for k in ("kept", "broken", "pending", "share")} == {
        "kept": 1,
        "broken": 2,
        "pending": 1,
        "share": 33.3,
    }
    assert {k: promises["Resolution"][k] for k in ("kept", "broken", "pending", "share")} == {
        "kept": 1,
        "broken": 1,
        "pending": 2,
        "share": 50.0,
    }
    teams = rows(report, "by_team", "team")
    assert (teams["Hardware"]["first_response_broken"], teams["Hardware"]["resolution_broken"]) == (1, 1)
    assert (teams["Hardware"]["first_response"], teams["Hardware"]["resolution"]) == (50.0, 50.0)
    assert (teams["No team"]["first_response_broken"], teams["No team"]["first_response"]) == (1, 0.0)
    assert figures(report)["broken"] == 1 + 2 + 1


@pytest.mark.django_db
def test_times_take_medians_and_90th_percentiles_in_working_and_clock_hours() -> None:
    # First responses of complaints received in November: 1, 2 and 5 working hours; 1, 65 and 66.7 clock hours.
    for working, clock in ((60, 60), (120, 3900), (300, 4000)):
        complaint(at(5), first_response_working_minutes=working, first_response_minutes=clock)
    # Resolutions decided in November (received in October): 4.5 and 10.5 working hours.
    for working, clock in ((270, 4050), (630, 5310)):
        complaint(
            at(20, month=10),
            status=Status.RESOLVED,
            decided_at=at(12),
            resolution_working_minutes=working,
            resolution_minutes=clock,
            priority=Priority.HIGH,
        )

    report = build("times")

    steps = rows(report, "steps", "step")
    first = steps["First response"]
    # Median 120 min; 90th percentile at 0.9 x 2 = 1.8 between 120 and 300: 264 min = 4.4 h.
    assert (first["measured"], first["median_working"], first["p90_working"]) == (3, 2.0, 4.4)
    # Clock: median 3900 min = 65 h; 90th: 3900 + 0.8 x 100 = 3980 min = 66.3 h.
    assert (first["median_clock"], first["p90_clock"]) == (65.0, 66.3)
    resolution = steps["Resolution"]
    # Median (270 + 630) / 2 = 450 min = 7.5 h; 90th: 270 + 0.9 x 360 = 594 min = 9.9 h.
    assert (resolution["measured"], resolution["median_working"], resolution["p90_working"]) == (2, 7.5, 9.9)
    assert resolution["median_clock"] == round(4680 / 60, 1)
    assert steps["Acknowledgement"]["median_working"] is None
    high = rows(report, "by_priority", "priority")["High"]
    assert (high["resolution_median"], high["resolution_p90"], high["first_response_median"]) == (7.5, 9.9, None)
    assert figures(report)["resolution_median"] == 7.5


def test_percentiles_on_sqlite_interpolate_as_postgresql_does() -> None:
    assert interpolated([300.0, 60.0, 120.0], 0.9) == pytest.approx(264.0)
    assert interpolated([5.0], 0.5) == 5.0
    assert interpolated([], 0.5) is None


@pytest.mark.django_db
def test_outcomes_reopenings_acceptance_and_ratings() -> None:
    kettle = ProductFactory(code="kettle", name="Kettle")
    common = {"status": Status.CLOSED, "decided_at": at(15), "product": kettle}
    complaint(
        at(1),
        outcome=Outcome.MONETARY,
        root_cause=RootCause.PRODUCT_DEFECT,
        customer_accepted=True,
        rating=5,
        corrective_action="Changed the supplier of thermostats.",
        **common,
    )
    complaint(
        at(2),
        outcome=Outcome.MONETARY,
        root_cause=RootCause.PRODUCT_DEFECT,
        customer_accepted=True,
        rating=4,
        reopen_count=1,
        corrective_action="Checked the batch.",
        **{**common, "decided_at": at(16)},
    )
    complaint(at(3), outcome=Outcome.EXPLAINED, root_cause=RootCause.COMMUNICATION, customer_accepted=False, **common)
    complaint(at(4), outcome=Outcome.REJECTED, root_cause=RootCause.NO_FAULT, **{**common, "status": Status.REJECTED})
    complaint(at(4, month=10), outcome=Outcome.MONETARY, status=Status.CLOSED, decided_at=at(30, month=10))

    report = build("outcomes")

    assert figures(report) == {
        "decided": 4,
        "reopen_rate": 25.0,
        "accepted": 66.7,
        "rating_avg": 4.5,
        "response_rate": 50.0,
    }
    outcomes = rows(report, "by_outcome", "outcome")
    assert [outcomes[str(label)]["complaints"] for label in Outcome.labels] == [1, 0, 2, 1]
    assert [row["complaints"] for row in report.table("ratings").rows] == [0, 0, 0, 1, 1]
    causes = rows(report, "root_causes", "root_cause")
    defect = causes["Product defect"]
    assert (defect["complaints"], defect["outcome_monetary"], defect["products"]) == (2, 2, "Kettle (2)")
    assert defect["latest_action"] == "Checked the batch."


@pytest.mark.django_db
def test_compensation_by_kind_product_complaint_and_incident() -> None:
    hosting = ProductFactory(code="hosting", name="Hosting")
    first = complaint(at(1), product=hosting, status=Status.CLOSED, decided_at=at(10))
    second = complaint(at(2), product=hosting, status=Status.CLOSED, decided_at=at(11))
    complaint(at(3), status=Status.CLOSED, decided_at=at(12))
    complaint(at(4), status=Status.CLOSED, decided_at=at(13))

    def offer(on: Complaint, kind: str, amount: str, status: str, decided: datetime | None) -> None:
        CompensationOffer.objects.create(
            complaint=on,
            kind=kind,
            amount=Decimal(amount),
            currency="RUB",
            status=status,
            offered_at=at(5),
            decided_at=decided,
        )

    offer(first, OfferKind.SERVICE_CREDIT, "500.00", OfferStatus.FULFILLED, at(6))
    offer(second, OfferKind.VOUCHER, "1000.00", OfferStatus.ACCEPTED, at(7))
    offer(second, OfferKind.VOUCHER, "300.00", OfferStatus.DECLINED, at(6))
    incident = Incident.objects.create(
        title="Night outage",
        public_description="Down 4 hours.",
        started_at=at(3, 2),
        ended_at=at(3, 6),
        created_by=cast(User, UserFactory()),
    )
    for customer_purchase in (cast(Purchase, PurchaseFactory(product=hosting)) for _ in range(2)):
        IncidentCredit.objects.create(
            incident=incident,
            purchase=customer_purchase,
            customer=customer_purchase.customer,
            amount=Decimal("8.28"),
            currency="RUB",
            window_start=at(3, 2),
            window_end=at(3, 6),
            created_at=at(3, 8),
        )

    report = build("compensation")

    kinds = {(row["kind"], row["currency"]): row for row in report.table("by_kind").rows}
    assert (kinds[("Service credit", "RUB")]["offers"], kinds[("Service credit", "RUB")]["amount"]) == (
        1,
        Decimal("500.00"),
    )
    assert kinds[("Voucher", "RUB")]["amount"] == Decimal("1000.00")  # the declined one is not granted
    hosting_row = rows(report, "by_product", "product")["Hosting"]
    assert (hosting_row["complaints"], hosting_row["offers"], hosting_row["amount"]) == (2, 2, Decimal("1500.00"))
    per = report.table("per_complaint").rows[0]
    assert (per["per_compensated"], per["per_decided"]) == (Decimal("750.00"), Decimal("375.00"))
    fates = rows(report, "offers", "status")
    assert (fates["Fulfilled"]["offers"], fates["Accepted"]["offers"], fates["Declined"]["offers"]) == (1, 1, 1)
    night = rows(report, "incidents", "incident")["Night outage"]
    assert (night["customers"], night["credits"], night["amount"]) == (2, 2, Decimal("16.56"))
    assert figures(report)["granted_RUB"] == Decimal("1500.00")
    assert figures(report)["incidents_RUB"] == Decimal("16.56")
    assert figures(report)["accepted_share"] == 66.7


@pytest.mark.django_db
def test_agents_and_teams_handled_times_breaches_and_ratings() -> None:
    bob = UserFactory(username="bob", first_name="Bob", last_name="Agent")
    team = Team.objects.create(name="Hardware")
    base = {
        "status": Status.CLOSED,
        "assignee": bob,
        "team": team,
        "first_response_due": at(2),
        "resolution_due": at(20),
    }
    complaint(
        at(1),
        decided_at=at(10),
        first_responded_at=at(1, 12),
        first_response_working_minutes=120,
        resolution_working_minutes=600,
        rating=4,
        **base,
    )
    complaint(
        at(1),
        decided_at=at(25),
        first_responded_at=at(3),
        first_response_working_minutes=240,
        resolution_working_minutes=1200,
        rating=2,
        **base,
    )
    complaint(at(1), status=Status.CLOSED, decided_at=at(12), resolution_working_minutes=60)

    report = build("people")

    agent = rows(report, "agents", "agent")["Bob Agent"]
    assert (agent["handled"], agent["broken"], agent["rated"], agent["rating_avg"]) == (2, 1, 2, 3.0)
    # Medians of 2 and 4 working hours, and of 10 and 20.
    assert (agent["first_response_median"], agent["resolution_median"]) == (3.0, 15.0)
    assert rows(report, "agents", "agent")["Not assigned"]["handled"] == 1
    assert rows(report, "teams", "team")["Hardware"]["handled"] == 2


MAY = Period(date(2026, 5, 1), date(2026, 5, 31), "month")


@pytest.mark.django_db
def test_retention_after_a_complaint_split_by_compensation_and_promises_beside_those_who_never_complained() -> None:
    kept = {"resolution_due": at(28, month=6)}
    c1, c2, c3, c4 = (CustomerFactory(email=f"c{n}@example.com") for n in range(1, 5))
    # c1: compensated, every promise kept, bought again 15 days later.
    one = complaint(at(10, month=5), customer=c1, status=Status.CLOSED, decided_at=at(10, month=5), **kept)
    fulfilled_voucher(one, decided_at=at(9, month=5))
    PurchaseFactory(customer=c1, purchased_on=date(2026, 5, 25))
    # c2: resolution late, bought again 69 days later.
    complaint(
        at(1, month=5), customer=c2, status=Status.CLOSED, decided_at=at(12, month=5), resolution_due=at(5, month=5)
    )
    PurchaseFactory(customer=c2, purchased_on=date(2026, 7, 20))
    # c3: kept, never bought again.
    complaint(at(10, month=5), customer=c3, status=Status.CLOSED, decided_at=at(15, month=5), **kept)
    # c4: two complaints decided in May; only the last counts, and the purchase between them does not.
    complaint(at(1, month=5), customer=c4, status=Status.CLOSED, decided_at=at(5, month=5), **kept)
    complaint(at(15, month=5), customer=c4, status=Status.CLOSED, decided_at=at(20, month=5), **kept)
    PurchaseFactory(customer=c4, purchased_on=date(2026, 5, 10))
    # Never complained: n1 again after 28 days; n2 never again; n3 (first purchase in April) again after 165 days.
    n1, n2, n3 = (CustomerFactory(email=f"n{n}@example.com") for n in range(1, 4))
    PurchaseFactory(customer=n1, purchased_on=date(2026, 5, 3))
    PurchaseFactory(customer=n1, purchased_on=date(2026, 5, 31))
    PurchaseFactory(customer=n2, purchased_on=date(2026, 5, 10))
    PurchaseFactory(customer=n3, purchased_on=date(2026, 4, 1))
    PurchaseFactory(customer=n3, purchased_on=date(2026, 5, 20))
    PurchaseFactory(customer=n3, purchased_on=date(2026, 11, 1))

    report = build("retention", MAY)

    shares = {
        row["group"]: (row["customers"], row["within_30"], row["within_90"], row["within_180"])
        for row in report.table("retention").rows
    }
    assert shares["Complained (all)"] == (4, 25.0, 50.0, 50.0)
    assert shares["Compensated"] == (1, 100.0, 100.0, 100.0)
    assert shares["Not compensated"] == (3, 0.0, 33.3, 33.3)
    assert shares["Every promise kept"] == (3, 33.3, 33.3, 33.3)
    assert shares["A promise broken"] == (1, 0.0, 100.0, 100.0)
    assert shares["Not compensated, a promise broken"] == (1, 0.0, 100.0, 100.0)
    assert shares["Compensated, a promise broken"] == (0, None, None, None)
    assert shares["Never complained"] == (3, 33.3, 33.3, 66.7)
    assert figures(report)["never_90"] == 33.3


@pytest.mark.django_db
def test_a_window_not_yet_passed_leaves_the_customer_out_of_it() -> None:
    customer = CustomerFactory()
    complaint(NOW - timedelta(days=40), customer=customer, status=Status.CLOSED, decided_at=NOW - timedelta(days=40))
    PurchaseFactory(customer=customer, purchased_on=(NOW - timedelta(days=20)).date())
    period = Period((NOW - timedelta(days=45)).date(), NOW.date(), "week")

    report = build("retention", period)

    counts = rows(report, "counts", "group")["Complained (all)"]
    assert (counts["matured_30"], counts["returned_30"], counts["matured_90"]) == (1, 1, 0)
    assert rows(report, "retention", "group")["Complained (all)"]["within_90"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("slug", list(REPORTS))
def test_every_report_costs_the_same_queries_for_5_or_50_complaints(
    slug: str, django_assert_max_num_queries: Any
) -> None:
    def history(count: int) -> None:
        team = Team.objects.create(name=f"Team {count}")
        product = ProductFactory()
        for index in range(count):
            made = complaint(
                at(1 + index % 28),
                team=team,
                product=product,
                assignee=UserFactory(),
                status=Status.CLOSED,
                decided_at=at(2 + index % 28),
                outcome=Outcome.MONETARY,
                root_cause=RootCause.PRODUCT_DEFECT,
                rating=1 + index % 5,
            )
            CompensationOffer.objects.create(
                complaint=made,
                kind=OfferKind.VOUCHER,
                amount=Decimal("10"),
                currency="RUB",
                status=OfferStatus.FULFILLED,
                decided_at=at(3),
                offered_at=at(2),
            )
            PurchaseFactory(customer=made.customer, purchased_on=date(2026, 11, 29))

    history(5)
    with django_assert_max_num_queries(16) as small:
        build(slug)
    history(45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        build(slug)
