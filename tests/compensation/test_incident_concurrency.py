"""Two managers press "Apologise and compensate" at the same moment: still one letter per customer and one credit
per purchase (real transactions, two threads, Celery tasks run inline after each commit)."""

import threading
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from compensation.incidents.services import incident_batch_process, incident_compensate
from compensation.models import IncidentBatch, IncidentCredit, IncidentRun
from notifications.models import Letter, LetterKind
from tests.factories import CustomerFactory, declare_incident, manager, subscription, subscription_product

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
END = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def _in_threads(*calls: Any) -> list[BaseException]:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Any) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.fixture
def outage() -> dict[str, Any]:
    hosting = subscription_product("hosting")
    customers = [CustomerFactory(email=f"site{n}@example.com") for n in range(12)]
    purchases = [
        subscription(product=hosting, service_start=MARCH[0], service_end=MARCH[1], customer=c) for c in customers
    ]
    carol = manager("carol")
    incident = declare_incident(actor=carol, products=[hosting], started_at=START, ended_at=END)
    return {"incident": incident, "customers": customers, "purchases": purchases, "carol": carol}


@pytest.mark.django_db(transaction=True)
@override_settings(INCIDENT_BATCH_SIZE=3)
def test_two_managers_pressing_at_once_credit_and_write_once(outage: dict[str, Any]) -> None:
    incident, carol = outage["incident"], outage["carol"]
    other = manager("mona")

    errors = _in_threads(
        lambda: incident_compensate(incident=incident.pk, actor=carol),
        lambda: incident_compensate(incident=incident.pk, actor=other),
    )

    assert errors == []
    assert IncidentRun.objects.filter(incident=incident).count() == 1
    assert IncidentRun.objects.get(incident=incident).status == "finished"
    letters = Counter(Letter.objects.filter(kind=LetterKind.INCIDENT_APOLOGY).values_list("recipient", flat=True))
    assert letters == Counter({c.email: 1 for c in outage["customers"]})
    credits = Counter(IncidentCredit.objects.filter(incident=incident).values_list("purchase_id", flat=True))
    assert credits == Counter({p.pk: 1 for p in outage["purchases"]})
    assert set(IncidentCredit.objects.values_list("amount", flat=True)) == {Decimal("3.87")}


@pytest.mark.django_db(transaction=True)
@override_settings(INCIDENT_BATCH_SIZE=12)
def test_the_same_batch_handed_to_two_workers_is_done_by_one(outage: dict[str, Any]) -> None:
    from unittest import mock

    incident = outage["incident"]
    # The broker is unreachable here: the batches stay for whoever takes them.
    with mock.patch("compensation.tasks.incident_batch_task.apply_async", side_effect=ConnectionError):
        run = incident_compensate(incident=incident.pk, actor=outage["carol"])
    batch = IncidentBatch.objects.get(run=run)
    done: list[int] = []

    errors = _in_threads(
        lambda: done.append(incident_batch_process(batch_id=batch.pk)),
        lambda: done.append(incident_batch_process(batch_id=batch.pk)),
    )

    assert errors == []
    assert sorted(done) == [0, 12]
    assert Letter.objects.filter(kind=LetterKind.INCIDENT_APOLOGY).count() == 12
    assert IncidentCredit.objects.filter(incident=incident).count() == 12
