"""The model case, the real way: a storage array fails at night, the site is down four hours, and by morning
every affected customer has one apology letter in their mailbox and one credit on their account, before anyone
complained. Outbox rows → commit → Redis → a Celery worker process (batches, then letters) → SMTP."""

import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from compensation.incidents.services import incident_compensate
from compensation.models import IncidentCredit, IncidentRun
from notifications.models import Letter, LetterKind, LetterStatus
from tests.factories import CustomerFactory, declare_incident, manager, subscription, subscription_product
from tests.integration.conftest import CeleryWorker, SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CUSTOMERS = 20
NIGHT = (datetime(2026, 3, 10, 1, 0, tzinfo=UTC), datetime(2026, 3, 10, 5, 0, tzinfo=UTC))
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
QUIET_PERIOD = 2.0


def _wait_until_finished(run: IncidentRun, timeout: float = 60.0) -> IncidentRun:
    deadline = time.monotonic() + timeout
    while True:
        run.refresh_from_db()
        if run.status == "finished":
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"the run is still {run.status}: {run.customers_done}/{run.customers_total}")
        time.sleep(0.2)


@override_settings(INCIDENT_BATCH_SIZE=6)  # four batches: the fan-out is exercised, not a single task
def test_a_night_outage_ends_with_one_apology_and_one_credit_per_customer(
    celery_worker_process: CeleryWorker, smtp_sink: SmtpSink
) -> None:
    tag = uuid.uuid4().hex[:8]
    hosting = subscription_product(f"hosting-{tag}", name="Web hosting")
    addresses = [f"site{n}-{tag}@example.com" for n in range(CUSTOMERS)]
    for address in addresses:
        customer = CustomerFactory(email=address, name="Site owner")
        subscription(product=hosting, service_start=MARCH[0], service_end=MARCH[1], customer=customer)
    carol = manager(f"carol-{tag}")
    incident = declare_incident(actor=carol, products=[hosting], started_at=NIGHT[0], ended_at=NIGHT[1])

    run = incident_compensate(incident=incident, actor=carol)

    received = smtp_sink.wait_for(CUSTOMERS, timeout=60)
    time.sleep(QUIET_PERIOD)
    received = [m for m in smtp_sink.messages() if tag in str(m["To"])]
    assert Counter(str(m["To"]) for m in received) == Counter(dict.fromkeys(addresses, 1))
    body = received[0].get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "We are sorry: this is our fault." in text
    assert "a credit of 3.87 RUB to your account" in text
    run = _wait_until_finished(run)
    assert (run.customers_done, run.letters_queued, run.credits_issued, run.batches_done) == (20, 20, 20, 4)
    credits = Counter(IncidentCredit.objects.filter(incident=incident).values_list("customer__email", flat=True))
    assert credits == Counter(dict.fromkeys(addresses, 1))
    assert set(IncidentCredit.objects.filter(incident=incident).values_list("amount", flat=True)) == {Decimal("3.87")}
    letters = Letter.objects.filter(kind=LetterKind.INCIDENT_APOLOGY, recipient__in=addresses)
    assert letters.count() == CUSTOMERS
    deadline = time.monotonic() + 10
    while letters.exclude(status=LetterStatus.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not letters.exclude(status=LetterStatus.SENT).exists()
