"""Writes for incidents: declare one, correct its window, and apologise to and credit every affected customer.

"Apologise and compensate" is a run (``IncidentRun``) over the incident's pending affected purchases, cut into
batches of customers (``IncidentBatch``), each handled by a Celery task in its own transaction. Every step is
safe to repeat: a batch is claimed with ``SKIP LOCKED`` and done once, a letter has an idempotency key per
customer and window, a credit is unique per purchase and window. A run whose worker died is resumed (by a
manager, or by Celery beat) and finishes the pending rows; a changed window makes the purchases whose time
affected changed pending again, and a follow-up run credits only the difference.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compensation.incidents.affected import affected_refresh, pending_customer_ranges
from compensation.models import (
    INCIDENT_TRANSITIONS,
    AffectedState,
    Incident,
    IncidentAffected,
    IncidentBatch,
    IncidentCredit,
    IncidentEvent,
    IncidentEventKind,
    IncidentRun,
    IncidentSeverity,
    IncidentStatus,
    RunStatus,
)
from compensation.permissions import can_compensate_incidents, can_manage_incidents
from compensation.policy import remedy_for_outage
from config.exceptions import ApplicationError, PermissionRefused, TransitionNotAllowed
from customers.models import Customer, Product
from notifications.models import Letter, LetterKind, WebhookEventType
from notifications.services import letter_queue, letters_dispatch
from notifications.webhooks import events as webhook_data
from notifications.webhooks.services import webhook_events_publish

logger = logging.getLogger(__name__)


# --- declaring and updating ---------------------------------------------------------------------------------


def _require_manage(actor: User) -> None:
    if not can_manage_incidents(actor):
        raise PermissionRefused(_("Only team leads and managers declare and update incidents."))


def _check_window(started_at: datetime | None, ended_at: datetime | None) -> None:
    if started_at is None:
        raise ApplicationError(_("Enter when the incident started."), extra={"field": "started_at"})
    if ended_at is not None and ended_at < started_at:
        raise ApplicationError(_("An incident cannot end before it starts."), extra={"field": "ended_at"})


def _products_checked(product_ids: list[int]) -> list[int]:
    found = list(Product.objects.filter(pk__in=product_ids).values_list("pk", flat=True))
    if not found or len(found) != len(set(product_ids)):
        raise ApplicationError(_("Choose the affected products."), extra={"field": "products"})
    return sorted(found)


def _event(incident: Incident, kind: str, actor: User | None, now: datetime, **data: Any) -> IncidentEvent:
    return IncidentEvent.objects.create(incident=incident, kind=kind, actor=actor, data=data, created_at=now)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@transaction.atomic
def incident_declare(
    *,
    actor: User,
    title: str,
    public_description: str,
    product_ids: list[int],
    started_at: datetime,
    ended_at: datetime | None = None,
    severity: str = IncidentSeverity.MAJOR,
) -> Incident:
    """Declare an incident (team leads and managers): ongoing without an end, resolved with one. Recorded as
    the first event of its timeline."""
    _require_manage(actor)
    if not title.strip():
        raise ApplicationError(_("Give the incident a title."), extra={"field": "title"})
    if not public_description.strip():
        raise ApplicationError(_("Tell customers what happened."), extra={"field": "public_description"})
    if severity not in IncidentSeverity.values:
        raise ApplicationError(_("Choose the severity."), extra={"field": "severity"})
    _check_window(started_at, ended_at)
    products = _products_checked(product_ids)
    now = timezone.now()
    incident = Incident.objects.create(
        title=title.strip(),
        public_description=public_description.strip(),
        severity=severity,
        status=IncidentStatus.RESOLVED if ended_at is not None else IncidentStatus.ONGOING,
        started_at=started_at,
        ended_at=ended_at,
        created_by=actor,
        created_at=now,
    )
    incident.products.set(products)
    _event(incident, IncidentEventKind.DECLARED, actor, now, started_at=_iso(started_at), ended_at=_iso(ended_at))
    return incident


def _incident_move(incident: Incident, *, status: str, now: datetime) -> None:
    """The one place an incident's status changes, along ``INCIDENT_TRANSITIONS`` (the row is locked)."""
    if status == incident.status:
        return
    if status not in INCIDENT_TRANSITIONS[incident.status]:
        raise TransitionNotAllowed(_("This incident cannot change to that status."))
    Incident.objects.filter(pk=incident.pk).update(status=status)
    incident.refresh_from_db(fields=["status"])


_UNSET: Any = object()


@transaction.atomic
def incident_update(
    *,
    incident: Incident | int,
    actor: User,
    title: str | None = None,
    public_description: str | None = None,
    severity: str | None = None,
    product_ids: list[int] | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = _UNSET,
) -> Incident:
    """Change what is known about an incident (team leads and managers). Setting an end resolves it, clearing it
    reopens it. The ``updated`` event records the old → new window. Once customers were apologised to, a
    changed window or product list is followed up automatically: purchases whose time affected grew get a
    credit for the difference and a letter saying it lasted longer; newly affected ones their first apology;
    a shorter window takes nothing back."""
    _require_manage(actor)
    pk = incident if isinstance(incident, int) else incident.pk
    locked = Incident.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise ApplicationError(_("There is no such incident."))
    old_window = (locked.started_at, locked.ended_at)
    new_start = started_at if started_at is not None else locked.started_at
    new_end = locked.ended_at if ended_at is _UNSET else ended_at
    _check_window(new_start, new_end)
    changes: dict[str, Any] = {}
    fields: list[str] = []
    if title is not None and title.strip() and title.strip() != locked.title:
        changes["title"] = {"from": locked.title, "to": title.strip()}
        locked.title = title.strip()
        fields.append("title")
    if public_description is not None and public_description.strip() != locked.public_description:
        if not public_description.strip():
            raise ApplicationError(_("Tell customers what happened."), extra={"field": "public_description"})
        locked.public_description = public_description.strip()
        changes["public_description"] = True
        fields.append("public_description")
    if severity is not None and severity != locked.severity:
        if severity not in IncidentSeverity.values:
            raise ApplicationError(_("Choose the severity."), extra={"field": "severity"})
        changes["severity"] = {"from": locked.severity, "to": severity}
        locked.severity = severity
        fields.append("severity")
    if (new_start, new_end) != old_window:
        locked.started_at, locked.ended_at = new_start, new_end
        fields += ["started_at", "ended_at"]
        changes["window"] = {
            "from": [_iso(old_window[0]), _iso(old_window[1])],
            "to": [_iso(new_start), _iso(new_end)],
        }
    products_changed = False
    if product_ids is not None:
        products = _products_checked(product_ids)
        before = sorted(locked.products.values_list("pk", flat=True))
        if products != before:
            locked.products.set(products)
            changes["products"] = {"from": before, "to": products}
            products_changed = True
    if not changes:
        return locked
    now = timezone.now()
    if fields:
        locked.save(update_fields=fields)
    _incident_move(locked, status=IncidentStatus.RESOLVED if new_end else IncidentStatus.ONGOING, now=now)
    _event(locked, IncidentEventKind.UPDATED, actor, now, **changes)
    if "window" in changes or products_changed:
        _follow_up(locked, actor=actor, now=now, force=products_changed)
    return locked


# --- apologise and compensate: starting, resuming --------------------------------------------------------------


def _window(incident: Incident, now: datetime) -> tuple[datetime, datetime]:
    return incident.started_at, incident.ended_at or now


def _running(incident_id: int) -> IncidentRun | None:
    return IncidentRun.objects.filter(incident_id=incident_id, status=RunStatus.RUNNING).first()


def _dispatch_batches(batch_ids: list[int]) -> None:
    """Hand the batches to the broker after commit. A broker outage is logged: the beat resumes the run."""

    def dispatch() -> None:
        from compensation.tasks import incident_batch_task

        for batch_id in batch_ids:
            try:
                incident_batch_task.apply_async((batch_id,))
            except Exception:  # the broker is down; the run stays pending and is resumed
                logger.warning("incident batch %s: broker unavailable, left for the resume sweep", batch_id)
                return

    transaction.on_commit(dispatch)


def _run_start(incident: Incident, *, actor: User | None, now: datetime, is_update: bool) -> IncidentRun:
    """Compute the affected set for the incident's window and start a run over its pending customers (the
    incident is locked and has no running run)."""
    start, end = _window(incident, now)
    refreshed = affected_refresh(incident=incident, start=start, end=end)
    ranges = pending_customer_ranges(incident_id=incident.pk, size=settings.INCIDENT_BATCH_SIZE)
    run = IncidentRun.objects.create(
        incident=incident,
        is_update=is_update,
        window_start=start,
        window_end=end,
        started_by=actor,
        started_at=now,
        progress_at=now,
        batches_total=len(ranges),
        customers_total=sum(count for _first, _last, count in ranges),
    )
    batches = IncidentBatch.objects.bulk_create(
        [IncidentBatch(run=run, first_customer_id=first, last_customer_id=last) for first, last, _count in ranges]
    )
    _event(
        incident,
        IncidentEventKind.APOLOGY_STARTED,
        actor,
        now,
        run=run.pk,
        update=is_update,
        customers=run.customers_total,
        newly_affected=refreshed.inserted,
        changed=refreshed.changed,
        window=[_iso(start), _iso(end)],
    )
    if not batches:
        _run_finish(run, now=now)
    else:
        _dispatch_batches([batch.pk for batch in batches])
    return run


def _run_resume(run: IncidentRun, *, actor: User | None, now: datetime) -> IncidentRun:
    pending = list(IncidentBatch.objects.filter(run=run, done=False).values_list("pk", flat=True))
    IncidentRun.objects.filter(pk=run.pk).update(progress_at=now)
    _event(run.incident, IncidentEventKind.RESUMED, actor, now, run=run.pk, batches=len(pending))
    _dispatch_batches(pending)
    return run


@transaction.atomic
def incident_compensate(*, incident: Incident | int, actor: User) -> IncidentRun:
    """Apologise to every affected customer (one letter each, listing their credits) and credit each affected
    purchase (managers only). Starts a run, or resumes the one already running: pressing it twice, even at the
    same moment, never credits or writes twice (the incident row is locked while deciding)."""
    if not can_compensate_incidents(actor):
        raise PermissionRefused(_("Only managers apologise and compensate for an incident."))
    pk = incident if isinstance(incident, int) else incident.pk
    locked = Incident.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise ApplicationError(_("There is no such incident."))
    now = timezone.now()
    running = _running(locked.pk)
    if running is not None:
        return _run_resume(running, actor=actor, now=now)
    is_update = IncidentRun.objects.filter(incident=locked).exists()
    return _run_start(locked, actor=actor, now=now, is_update=is_update)


def _follow_up(incident: Incident, *, actor: User | None, now: datetime, force: bool = False) -> IncidentRun | None:
    """After apologies went out, start a follow-up run when the window (or, ``force``, the products) changed
    since the last run; while a run is going on, its finish does it."""
    last = IncidentRun.objects.filter(incident=incident).order_by("-started_at", "-id").first()
    if last is None or last.status == RunStatus.RUNNING:
        return None
    window_changed = last.window_start != incident.started_at or (
        incident.ended_at is not None and last.window_end != incident.ended_at
    )
    if not (window_changed or force):
        return None
    return _run_start(incident, actor=actor, now=now, is_update=True)


@transaction.atomic
def incident_follow_up(*, incident_id: int) -> int | None:
    """Start the follow-up run a window changed during a run calls for (after that run finished); the id of
    the run started, if any."""
    locked = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if locked is None:
        return None
    run = _follow_up(locked, actor=None, now=timezone.now())
    return run.pk if run is not None else None


@transaction.atomic
def incident_runs_resume_stale(*, now: datetime) -> int:
    """Resume the runs that still have pending batches and made no progress for ``INCIDENT_RUN_STALE_MINUTES``
    (a worker died, the broker lost the tasks); Celery beat calls this every minute. Returns how many."""
    stale = now - timedelta(minutes=settings.INCIDENT_RUN_STALE_MINUTES)
    runs = list(
        IncidentRun.objects.select_for_update(skip_locked=True)
        .filter(status=RunStatus.RUNNING, progress_at__lt=stale)
        .select_related("incident")
    )
    for run in runs:
        _run_resume(run, actor=None, now=now)
    return len(runs)


# --- one batch ------------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    letters: int = 0
    credits: int = 0


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"


def _credit_rows(
    rows: list[IncidentAffected], run: IncidentRun, incident: Incident, now: datetime
) -> list[IncidentCredit]:
    """A credit per purchase for the difference between what our policy gives for the run's window and what
    was credited already (``remedy_for_outage``); when that is not positive for a purchase apologised for before
    (a shorter window), a zero credit records that nothing was given and nothing taken back."""
    credits = []
    for row in rows:
        remedy = remedy_for_outage(
            purchase=row.purchase, downtime_start=run.window_start, downtime_end=run.window_end, now=run.window_end
        )
        owed = remedy.amount if remedy is not None and remedy.amount is not None else Decimal(0)
        difference = owed - row.credited_amount
        if difference <= 0 and row.overlap_seconds_done == 0:
            continue  # nothing owed and nothing to record (e.g. an open-ended subscription)
        basis: dict[str, Any] = dict(remedy.basis) if remedy is not None else {}
        basis.update({"owed": str(owed), "credited_before": str(row.credited_amount), "run": run.pk})
        if difference <= 0:
            basis["note"] = "window shorter or unchanged: nothing issued, nothing taken back"
        credits.append(
            IncidentCredit(
                incident=incident,
                purchase=row.purchase,
                customer_id=row.customer_id,
                amount=max(difference, Decimal(0)),
                currency=remedy.currency if remedy is not None else row.currency,
                basis=basis,
                window_start=run.window_start,
                window_end=run.window_end,
                created_at=now,
            )
        )
    return credits


def _apology_letter(
    *,
    incident: Incident,
    run: IncidentRun,
    customer: Customer,
    rows: list[IncidentAffected],
    credited: dict[int, Decimal],
    written_before: bool,
) -> Letter:
    """One letter to the customer for all their affected purchases, listing each one's credit so far."""
    lines = []
    with translation.override(customer.language):
        for row in rows:
            total = credited.get(row.purchase_id, row.credited_amount)
            if total > 0:
                lines.append(
                    gettext("%(product)s, order %(order)s: a credit of %(amount)s to your account")
                    % {
                        "product": row.purchase.product.name,
                        "order": row.purchase.order_number,
                        "amount": _money(total, row.currency),
                    }
                )
    products = sorted({row.purchase.product.name for row in rows})
    key = f"incident:{incident.pk}:apology:customer:{customer.pk}"
    if written_before:
        key += f":update:{run.pk}"
    return letter_queue(
        kind=LetterKind.INCIDENT_APOLOGY,
        recipient=customer.email,
        language=customer.language,
        idempotency_key=key,
        dispatch=False,  # the batch hands its letters over in chunks (incident_batch_process)
        context={
            "customer": customer,
            "product": ", ".join(products),
            "started_at": incident.started_at,
            "ended_at": incident.ended_at,
            "what_we_did": incident.public_description,
            "remedy": "\n".join(lines),
            "tracking_url": "",
            "is_update": written_before,
        },
    )


def _apologise_customer(
    *,
    incident: Incident,
    run: IncidentRun,
    customer: Customer,
    rows: list[IncidentAffected],
    written_before: bool,
    now: datetime,
) -> tuple[Letter | None, list[IncidentCredit]]:
    """The credits of one customer's pending purchases and, when they were affected for longer than we have
    apologised for (or for the first time), their letter."""
    credits = _credit_rows(rows, run, incident, now)
    credited = {row.purchase_id: row.credited_amount for row in rows}
    for credit in credits:
        credited[credit.purchase_id] += credit.amount
    letter = None
    if any(row.overlap_seconds > row.overlap_seconds_done for row in rows):
        letter = _apology_letter(
            incident=incident, run=run, customer=customer, rows=rows, credited=credited, written_before=written_before
        )
    return letter, credits


@transaction.atomic
def incident_batch_process(*, batch_id: int) -> int:
    """Apologise to and credit the customers of one batch, in one transaction; returns how many customers.

    The batch and its pending rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED``: a duplicate task, or a
    second run of the same batch, finds nothing to do. Should the worker die half-way, nothing of the batch is
    kept and it stays pending for a resume."""
    batch = (
        IncidentBatch.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("run", "run__incident")
        .filter(pk=batch_id, done=False)
        .first()
    )
    if batch is None or batch.run.status != RunStatus.RUNNING:
        return 0
    run, incident = batch.run, batch.run.incident
    now = timezone.now()
    rows = list(
        IncidentAffected.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            incident=incident,
            state=AffectedState.PENDING,
            customer_id__gte=batch.first_customer_id,
            customer_id__lte=batch.last_customer_id,
        )
        .select_related("customer", "purchase", "purchase__product")
        .order_by("customer_id", "purchase_id")
    )
    by_customer: dict[int, list[IncidentAffected]] = defaultdict(list)
    for row in rows:
        by_customer[row.customer_id].append(row)
    written_before = set(
        IncidentAffected.objects.filter(
            incident=incident, customer_id__in=list(by_customer), letter__isnull=False
        ).values_list("customer_id", flat=True)
    )
    outcome = _Outcome()
    all_credits: list[IncidentCredit] = []
    letter_ids: list[int] = []
    for customer_id, customer_rows in by_customer.items():
        letter, credits = _apologise_customer(
            incident=incident,
            run=run,
            customer=customer_rows[0].customer,
            rows=customer_rows,
            written_before=customer_id in written_before,
            now=now,
        )
        given = {credit.purchase_id: credit.amount for credit in credits}
        for row in customer_rows:
            row.credited_amount += given.get(row.purchase_id, Decimal(0))
            row.overlap_seconds_done = row.overlap_seconds
            row.state = AffectedState.DONE
            row.apologised_at = now
            if letter is not None:
                row.letter = letter
        if letter is not None:
            outcome.letters += 1
            letter_ids.append(letter.pk)
        outcome.credits += sum(1 for credit in credits if credit.amount > 0)
        all_credits += credits
    IncidentAffected.objects.bulk_update(
        rows, ["credited_amount", "overlap_seconds_done", "state", "apologised_at", "letter"], batch_size=500
    )
    # Credited never falls, so a window used before owes nothing more: only a zero record can meet its twin.
    IncidentCredit.objects.bulk_create(all_credits, batch_size=500, ignore_conflicts=True)
    # Other systems hear of each credit given (a zero record gives nothing); one subscriber query per batch.
    webhook_events_publish(
        events=[
            (WebhookEventType.CREDIT_ISSUED, webhook_data.credit_issued_for_incident(credit))
            for credit in all_credits
            if credit.amount > 0
        ]
    )
    IncidentBatch.objects.filter(pk=batch.pk).update(done=True, done_at=now)
    # The run row is the meeting point of its batches: locked here, the last batch to finish sees no pending one.
    IncidentRun.objects.select_for_update().filter(pk=run.pk).update(
        customers_done=F("customers_done") + len(by_customer),
        letters_queued=F("letters_queued") + outcome.letters,
        credits_issued=F("credits_issued") + outcome.credits,
        batches_done=F("batches_done") + 1,
        progress_at=now,
    )
    _event(
        incident,
        IncidentEventKind.BATCH_DONE,
        None,
        now,
        run=run.pk,
        customers=len(by_customer),
        letters=outcome.letters,
        credits=outcome.credits,
    )
    if letter_ids:
        transaction.on_commit(lambda: letters_dispatch(letter_ids=letter_ids))
    if not IncidentBatch.objects.filter(run=run, done=False).exists():
        run.refresh_from_db()
        _run_finish(run, now=now)
    return len(by_customer)


def _run_finish(run: IncidentRun, *, now: datetime) -> None:
    finished = IncidentRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.FINISHED, finished_at=now, progress_at=now
    )
    if not finished:
        return
    _event(
        run.incident,
        IncidentEventKind.FINISHED,
        None,
        now,
        run=run.pk,
        customers=run.customers_done,
        letters=run.letters_queued,
        credits=run.credits_issued,
    )
    incident_id = run.incident_id

    def follow_up() -> None:
        from compensation.tasks import incident_follow_up_task

        try:
            incident_follow_up_task.apply_async((incident_id,))
        except Exception:  # the broker is down: the next change of the window follows up
            logger.warning("incident %s: broker unavailable for the follow-up check", incident_id)

    transaction.on_commit(follow_up)
