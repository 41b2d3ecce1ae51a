"""The Celery application: ``celery -A config worker`` and ``celery -A config beat`` load it."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("amends")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connections_like_requests(sender: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    """A worker treats its database connection as Django treats a request's: kept for ``CONN_MAX_AGE`` and
    replaced when it broke (``close_old_connections``), instead of Celery's default of a new connection for every
    task (``CELERY_DB_REUSE_MAX`` turns that off), which cost a worker a third of its time per letter. Tasks run
    eagerly (inside a request or a test's transaction) are left alone, as Celery leaves them."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
