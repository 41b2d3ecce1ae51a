"""Celery tasks for complaints: the watchers Celery beat runs. Each takes nothing, calls a service, and is safe
to run twice (or two at once): see ``complaints.services.sla_watch``."""

from celery import shared_task
from django.utils import timezone

from complaints.services import sla_watch


@shared_task(name="complaints.tasks.sla_sweep_task", ignore_result=True)
def sla_sweep_task() -> dict[str, int]:
    return sla_watch.sla_sweep(now=timezone.now())


@shared_task(name="complaints.tasks.sla_guard_task", ignore_result=True)
def sla_guard_task() -> dict[str, int]:
    return sla_watch.sla_guard_unacknowledged(now=timezone.now())


@shared_task(name="complaints.tasks.sla_health_check_task", ignore_result=True)
def sla_health_check_task() -> int:
    return sla_watch.sla_health_check(now=timezone.now()).pk


@shared_task(name="complaints.tasks.sla_digest_task", ignore_result=True)
def sla_digest_task() -> int:
    return sla_watch.sla_digest_send(now=timezone.now())
