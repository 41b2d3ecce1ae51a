"""Celery tasks for compensation: the beat that expires offers the customer did not answer in time."""

from celery import shared_task
from django.utils import timezone

from compensation.services import offers_expire


@shared_task(name="compensation.tasks.offers_expire_task", ignore_result=True)
def offers_expire_task() -> int:
    return offers_expire(now=timezone.now())
