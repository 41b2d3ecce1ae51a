"""Apologise and compensate: one letter per affected customer, one credit per affected purchase, exactly once,
however often it is pressed, resumed, or followed by a corrected window."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from compensation.incidents import services
from compensation.incidents.services import (
    incident_batch_process,
    incident_compensate,
    incident_runs_resume_stale,
    incident_update,
)
from compensation.models import IncidentAffected, IncidentBatch, IncidentCredit, IncidentEvent, IncidentRun
from compensation.tasks import incident_runs_resume_stale_task
from config.exceptions import PermissionRefused
from notifications.models import Letter, LetterKind
from tests.factories import CustomerFactory, declare_incident, subscription, subscription_product

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # a night outage: 01:00-05:00
END = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))  # 744 hours for 720.00 RUB


@pytest.fixture
def outage(manager_carol: Any) -> dict[str, Any]:
    hosting = subscription_product("hosting", name="Web hosting")
    mail_product = subscription_product("mail", name="Business mail")
    customers = [CustomerFactory(email=f"site{n}@example.com", name=f"Site {n}") for n in range(5)]
    purchases = [
        subscription(product=hosting, service_start=MARCH[0], service_end=MARCH[1], customer=c) for c in customers
    ]
    # The first customer also has mail on the same failed hardware; the last one an open-ended plan.
    purchases.append(
        subscription(
            product=mail_product,
            service_start=MARCH[0],
            service_end=MARCH[1],
            customer=customers[0],
            amount=Decimal("1488.00"),
        )
    )
    open_ended = CustomerFactory(email="open@example.com", name="Open")
    purchases.append(subscription(product=hosting, service_start=MARCH[0], service_end=None, customer=open_ended))
    with time_machine.travel(END + timedelta(hours=3), tick=False):
        incident = declare_incident(
            actor=manager_carol, products=[hosting, mail_product], started_at=START, ended_at=END
        )
    return {"incident": incident, "customers": [*customers, open_ended], "purchases": purchases}


def _compensate(incident: Any, actor: Any, capture: Any) -> IncidentRun:
    with capture(execute=True):
        return incident_compensate(incident=incident, actor=actor)


def _letters_per_recipient() -> Counter[str]:
    return Counter(Letter.objects.filter(kind=LetterKind.INCIDENT_APOLOGY).values_list("recipient", flat=True))


def _credited(incident: Any) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for order, amount in IncidentCredit.objects.filter(incident=incident).values_list(
        "purchase__order_number", "amount"
    ):
        totals[order] = totals.get(order, Decimal(0)) + amount
    return totals


def test_every_affected_customer_gets_one_letter_and_every_purchase_its_credit(
    outage: dict[str, Any], manager_carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = outage["incident"]

    run = _compensate(incident, manager_carol, django_capture_on_commit_callbacks)

    run.refresh_from_db()
    assert run.status == "finished"
    assert (run.customers_total, run.customers_done, run.letters_queued, run.credits_issued) == (6, 6, 6, 6)
    assert _letters_per_recipient() == Counter({c.email: 1 for c in outage["customers"]})
    assert len(mail.outbox) == 6
    # 4 of 744 hours of a 720.00 period is 3.87; of a 1488.00 one 8.00. The open-ended plan has no fee to pro-rate.
    hosting_orders = [p.order_number for p in outage["purchases"][:5]]
    assert _credited(incident) == {
        **dict.fromkeys(hosting_orders, Decimal("3.87")),
        outage["purchases"][5].order_number: Decimal("8.00"),
    }
    first = next(m for m in mail.outbox if m.to == ["site0@example.com"])
    assert first.subject == "We are sorry: Business mail, Web hosting was not working"
    assert "We are sorry: this is our fault." in first.body
    assert "a credit of 3.87 RUB to your account" in first.body
    assert "a credit of 8.00 RUB to your account" in first.body
    kinds = list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds == ["declared", "apology_started", "batch_done", "finished"]
    assert set(IncidentAffected.objects.filter(incident=incident).values_list("state", flat=True)) == {"done"}


def test_pressing_it_again_writes_and_credits_nothing_more(
    outage: dict[str, Any], manager_carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = outage["incident"]
    _compensate(incident, manager_carol, django_capture_on_commit_callbacks)

    again = _compensate(incident, manager_carol, django_capture_on_commit_callbacks)

    again.refresh_from_db()
    assert (again.status, again.customers_total, again.letters_queued) == ("finished", 0, 0)
    assert Letter.objects.filter(kind=LetterKind.INCIDENT_APOLOGY).count() == 6
    assert IncidentCredit.objects.filter(incident=incident).count() == 6


@override_settings(INCIDENT_BATCH_SIZE=2)
def test_a_batch_that_died_half_way_is_finished_by_a_resume(
    outage: dict[str, Any], manager_carol: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = outage["incident"]
    with django_capture_on_commit_callbacks(execute=False):
        run = incident_compensate(incident=incident, actor=manager_carol)
    batches = list(IncidentBatch.objects.filter(run=run).order_by("first_customer_id").values_list("pk", flat=True))
    assert len(batches) == 3
    incident_batch_process(batch_id=batches[0])
    # The worker dies after the first customer of the second batch: nothing of that batch is kept.
    real = services._apologise_customer
    calls = {"n": 0}

    def dies_after_one(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 1:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(services, "_apologise_customer", dies_after_one)
    with pytest.raises(SystemExit):
        incident_batch_process(batch_id=batches[1])
    monkeypatch.setattr(services, "_apologise_customer", real)
    assert Letter.objects.filter(kind=LetterKind.INCIDENT_APOLOGY).count() == 2
    assert (
        IncidentAffected.objects.filter(incident=incident, state="pending").count() == 4
    )  # 3 purchases of the first 2 customers done

    resumed = _compensate(incident, manager_carol, django_capture_on_commit_callbacks)

    assert resumed.pk == run.pk
    resumed.refresh_from_db()
    assert resumed.status == "finished"
    assert _letters_per_recipient() == Counter({c.email: 1 for c in outage["customers"]})
    assert Counter(IncidentCredit.objects.filter(incident=incident).values_list("purchase_id", flat=True)) == Counter(
        {p.pk: 1 for p in outage["purchases"][:6]}
    )
    assert "resumed" in IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True)


@override_settings(INCIDENT_BATCH_SIZE=2)
def test_celery_beat_resumes_a_run_that_stopped_making_progress(
    outage: dict[str, Any], manager_carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = outage["incident"]
    with time_machine.travel(END + timedelta(hours=4), tick=False):
        with django_capture_on_commit_callbacks(execute=False):  # the broker lost every task
            run = incident_compensate(incident=incident, actor=manager_carol)
        with django_capture_on_commit_callbacks(execute=True):
            assert incident_runs_resume_stale(now=END + timedelta(hours=4, minutes=2)) == 0  # not stale yet
    with (
        time_machine.travel(END + timedelta(hours=4, minutes=6), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert incident_runs_resume_stale_task() == 1  # what Celery beat runs every minute

    run.refresh_from_db()
    assert run.status == "finished"
    assert _letters_per_recipient() == Counter({c.email: 1 for c in outage["customers"]})


def test_a_longer_window_credits_only_the_difference_and_says_it_lasted_longer(
    outage: dict[str, Any], manager_carol: Any, lead_tess: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = outage["incident"]
    _compensate(incident, manager_carol, django_capture_on_commit_callbacks)
    late = subscription(
        product=outage["purchases"][0].product,
        service_start=END + timedelta(hours=1),
        service_end=MARCH[1],
        customer=CustomerFactory(email="late@example.com", name="Late"),
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        incident_update(incident=incident, actor=lead_tess, ended_at=END + timedelta(hours=4))

    # 8 hours: 7.74 in all for hosting (3.87 more), 16.00 for mail (8.00 more); the late plan its own 3 hours.
    credited = _credited(incident)
    hosting_orders = [p.order_number for p in outage["purchases"][:5]]
    assert {order: credited[order] for order in hosting_orders} == dict.fromkeys(hosting_orders, Decimal("7.74"))
    assert credited[outage["purchases"][5].order_number] == Decimal("16.00")
    assert credited[late.order_number] > 0
    second = IncidentCredit.objects.filter(incident=incident, purchase=outage["purchases"][0]).order_by("-id").first()
    assert second is not None
    assert second.amount == Decimal("3.87")
    assert _letters_per_recipient() == Counter({**{c.email: 2 for c in outage["customers"]}, "late@example.com": 1})
    update = next(m for m in mail.outbox if m.to == ["site0@example.com"])
    assert update.subject.startswith("Update: ")
    assert "it lasted longer than we said" in update.body
    assert "a credit of 7.74 RUB to your account" in update.body
    first_for_late = next(m for m in mail.outbox if m.to == ["late@example.com"])
    assert first_for_late.subject.startswith("We are sorry: ")
    window = IncidentEvent.objects.filter(incident=incident, kind="updated").get().data["window"]
    assert window["from"][1] == END.isoformat()
    assert window["to"][1] == (END + timedelta(hours=4)).isoformat()


def test_a_shorter_window_takes_nothing_back_and_records_that_it_gave_nothing(
    outage: dict[str, Any], manager_carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = outage["incident"]
    _compensate(incident, manager_carol, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        incident_update(incident=incident, actor=manager_carol, ended_at=END - timedelta(hours=2))

    credited = _credited(incident)
    assert credited[outage["purchases"][0].order_number] == Decimal("3.87")
    zero = IncidentCredit.objects.filter(incident=incident, amount=0)
    assert zero.count() == 7  # every purchase apologised for, the open-ended one too
    assert all("nothing issued" in credit.basis["note"] for credit in zero)
    assert Letter.objects.filter(kind=LetterKind.INCIDENT_APOLOGY).count() == 6


def test_team_leads_declare_and_update_but_only_managers_compensate(
    outage: dict[str, Any], agent_bob: Any, lead_tess: Any
) -> None:
    incident = outage["incident"]
    with pytest.raises(PermissionRefused):
        declare_incident(actor=agent_bob, products=list(incident.products.all()), started_at=START)
    with pytest.raises(PermissionRefused):
        incident_update(incident=incident, actor=agent_bob, title="Changed")
    with pytest.raises(PermissionRefused):
        incident_compensate(incident=incident, actor=lead_tess)
    updated = incident_update(incident=incident, actor=lead_tess, ended_at=None)
    assert updated.status == "ongoing"
    assert incident_update(incident=incident, actor=lead_tess, ended_at=END).status == "resolved"
    assert not IncidentRun.objects.exists()


def test_a_window_changed_back_and_forth_credits_each_difference_once(
    outage: dict[str, Any], manager_carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = outage["incident"]
    _compensate(incident, manager_carol, django_capture_on_commit_callbacks)
    for ended_at in (END + timedelta(hours=4), END, END + timedelta(hours=4), END + timedelta(hours=8)):
        with django_capture_on_commit_callbacks(execute=True):
            incident_update(incident=incident, actor=manager_carol, ended_at=ended_at)

    # 12 hours in all: 11.61 for each hosting plan, whichever way the window went.
    credited = _credited(incident)
    assert {credited[p.order_number] for p in outage["purchases"][:5]} == {Decimal("11.61")}
    assert IncidentRun.objects.filter(incident=incident).exclude(status="finished").count() == 0
    assert IncidentAffected.objects.filter(incident=incident, state="pending").count() == 0
