"""Celery tasks for complaints: the watchers Celery beat runs, and the handling of one promise alert the sweep
hands over. Each takes ids or nothing, calls a service, and is safe to run twice (or two at once): see
``complaints.services.sla_watch``."""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from complaints.services import sla_watch

# A handed-over alert not handled within this time is dropped from the queue: the next sweep hands it over again.
ALERT_TASK_EXPIRES = 120


@shared_task(name="complaints.tasks.sla_sweep_task", ignore_result=True)
def sla_sweep_task() -> dict[str, int]:
    return sla_watch.sla_sweep(now=timezone.now(), dispatch=_alert_dispatch)


def _alert_dispatch(complaint_id: int, target: str, level: str, due_at: datetime) -> None:
    sla_alert_handle_task.apply_async(
        args=(complaint_id, target, level, due_at.isoformat()), expires=ALERT_TASK_EXPIRES
    )


@shared_task(name="complaints.tasks.sla_alert_handle_task", ignore_result=True)
def sla_alert_handle_task(complaint_id: int, target: str, level: str, due_at: str) -> bool:
    return sla_watch.sla_alert_handle(
        complaint_id=complaint_id,
        target=target,
        level=level,
        due_at=datetime.fromisoformat(due_at),
        now=timezone.now(),
    )


@shared_task(name="complaints.tasks.sla_guard_task", ignore_result=True)
def sla_guard_task() -> dict[str, int]:
    return sla_watch.sla_guard_unacknowledged(now=timezone.now())


@shared_task(name="complaints.tasks.sla_health_check_task", ignore_result=True)
def sla_health_check_task() -> int:
    return sla_watch.sla_health_check(now=timezone.now()).pk


@shared_task(name="complaints.tasks.sla_digest_task", ignore_result=True)
def sla_digest_task() -> int:
    return sla_watch.sla_digest_send(now=timezone.now())
