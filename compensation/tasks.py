"""Celery tasks for compensation: the beat that expires offers the customer did not answer in time, and the
incidents' apology fan-out. Each takes ids, calls a service, and is safe to run twice (see
``compensation.services`` and ``compensation.incidents.services``)."""

from celery import shared_task
from django.utils import timezone

from compensation.incidents import services
from compensation.services import offers_expire


@shared_task(name="compensation.tasks.offers_expire_task", ignore_result=True)
def offers_expire_task() -> int:
    return offers_expire(now=timezone.now())


@shared_task(name="compensation.tasks.incident_batch_task", ignore_result=True)
def incident_batch_task(batch_id: int) -> int:
    return services.incident_batch_process(batch_id=batch_id)


@shared_task(name="compensation.tasks.incident_follow_up_task", ignore_result=True)
def incident_follow_up_task(incident_id: int) -> int | None:
    return services.incident_follow_up(incident_id=incident_id)


@shared_task(name="compensation.tasks.incident_runs_resume_stale_task", ignore_result=True)
def incident_runs_resume_stale_task() -> int:
    return services.incident_runs_resume_stale(now=timezone.now())
