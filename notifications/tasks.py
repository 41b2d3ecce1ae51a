"""Celery tasks for letters, replies by email and webhooks: take ids, call a service, nothing else."""

import socket

from celery import Task, shared_task
from django.conf import settings

from notifications import imap, services
from notifications.webhooks import services as webhooks


@shared_task(name="notifications.tasks.letter_send_task", ignore_result=True)
def letter_send_task(letter_id: int) -> str:
    result = services.letter_send(letter_id=letter_id)
    if result.outcome is services.SendOutcome.RETRY:
        services.letter_dispatch(letter_id=letter_id, countdown=result.retry_in)
    return result.outcome.value


@shared_task(name="notifications.tasks.letters_send_task", ignore_result=True)
def letters_send_task(letter_ids: list[int]) -> dict[str, int]:
    return services.letters_send(letter_ids=letter_ids)


@shared_task(name="notifications.tasks.letters_redispatch_stale", ignore_result=True)
def letters_redispatch_stale() -> int:
    return services.letters_redispatch_stale()


@shared_task(name="notifications.tasks.inbound_mail_poll_task", ignore_result=True)
def inbound_mail_poll_task() -> int:
    """Read customers' replies from the IMAP mailbox (a beat entry runs it every minute when IMAP_URL is set)."""
    if not settings.IMAP_URL:
        return 0
    return imap.inbound_mail_poll()


@shared_task(name="notifications.tasks.worker_heartbeat", bind=True, ignore_result=True)
def worker_heartbeat(self: Task[[], str]) -> str:
    """Beat sends this every 30 s; the worker that runs it records that it is alive."""
    hostname = self.request.hostname or socket.gethostname()
    name = f"{services.WORKER_HEARTBEAT_PREFIX}{hostname}"
    services.heartbeat_record(name=name, details={"hostname": hostname})
    return name


@shared_task(name="notifications.tasks.webhooks_deliver_task", ignore_result=True)
def webhooks_deliver_task(delivery_ids: list[int]) -> dict[str, int]:
    """Deliver these webhook deliveries (each claimed on its own: a duplicate task sends nothing twice)."""
    return webhooks.webhook_deliveries_deliver(delivery_ids=delivery_ids)


@shared_task(name="notifications.tasks.webhooks_retry_due_task", ignore_result=True)
def webhooks_retry_due_task() -> int:
    """Beat runs this every minute: pending deliveries that are due (and lost tasks) go to the workers again."""
    return webhooks.webhooks_retry_due()
