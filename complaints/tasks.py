"""Celery tasks for complaints: the watchers Celery beat runs, and the handling of one promise alert the sweep
hands over. Each takes ids or nothing, calls a service, and is safe to run twice (or two at once): see
``complaints.services.sla_watch``."""

from datetime import datetime
from typing import Any

from celery import shared_task
from django.utils import timezone

from complaints.services import sla_watch

# A handed-over alert not handled within this time is dropped from the queue: the next sweep hands it over again.
ALERT_TASK_EXPIRES = 120


@shared_task(name="complaints.tasks.sla_sweep_task", ignore_result=True)
def sla_sweep_task() -> dict[str, int]:
    return sla_watch.sla_sweep(now=timezone.now(), dispatch=_alert_dispatch)


def _alert_dispatch(alerts: list[sla_watch.Alert]) -> None:
    payload = [[complaint_id, target, level, due_at.isoformat()] for complaint_id, target, level, due_at in alerts]
    sla_alerts_handle_task.apply_async(args=(payload,), expires=ALERT_TASK_EXPIRES)


@shared_task(name="complaints.tasks.sla_alerts_handle_task", ignore_result=True)
def sla_alerts_handle_task(alerts: list[list[Any]]) -> int:
    return sla_watch.sla_alerts_handle(
        alerts=[(int(pk), str(target), str(level), datetime.fromisoformat(due)) for pk, target, level, due in alerts],
        now=timezone.now(),
    )


# One alert a task: what sweeps before chunked hand-overs queued; kept so such tasks still run after an upgrade.
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
