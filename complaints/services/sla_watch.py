"""The watchers Celery beat runs: the SLA sweep (warnings at 75 % of a promise's time, escalation at its
breach), the unanswered guard (every complaint gets its acknowledgement), the daily health check that proves it,
and the managers' daily digest.

Each alert is a ``SlaAlert`` row, unique per (complaint, promise, level, due time): it is written first, and only
the sweep that wrote it acts on it, so two workers or two sweeps at once never send a letter or record an
escalation twice, and a beat stopped for an hour finds every breach on its next run.

The cost of a sweep grows with the number of complaints due, not with all complaints: the candidates are read
through the partial indexes on the due times, in batches. A minute's sweep reads only the breaches of the last
``BREACH_LOOKBACK`` (a range on the due time), so a standing backlog of overdue complaints, escalated long ago, costs
it nothing. Every ``FULL_SWEEP_EVERY`` one sweep reads every overdue complaint without that lower bound: it finds
what a minute's sweep cannot, a breach whose handling failed or whose task was lost for longer than the look-back, a
due time moved far into the past (a priority raised on an old complaint), and what became due while the beat was
stopped. A beat that was stopped finds the last full pass old and starts with one.

When is "75 % of the time"? In calendar time, from the start of the promise to its due time: the start is
``received_at`` for the first response and the resolution; the next response is owed from the customer's last
message, approximated as ``due - the promise's minutes``. A warning comes at ``due - 25 % of that span`` but never
more than ``WARNING_MAX_LEAD`` before the due time (a week-long promise warns a day ahead, not two), which also
bounds the look-ahead window the sweep reads. A complaint already past its due time gets the breach, not a warning.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from compensation.models import CompensationOffer, OfferStatus
from compensation.money import round_money
from complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    Priority,
    SlaAlert,
    SlaAlertLevel,
    SlaHealthCheck,
    SlaTarget,
    TeamMember,
)
from complaints.permissions import MANAGERS_GROUP
from complaints.services.core import (
    DEFAULT_SLA_MINUTES,
    _lock,
    _notify_assignee,
    _queue_customer_letter,
    complaint_change_field,
    staff_letter_queue,
)
from complaints.services.teams import _Candidate, _hand_over, _lock_team, complaint_auto_assign
from complaints.tokens import staff_url
from notifications.models import Heartbeat, Letter, LetterKind, LetterStatus
from notifications.selectors import SLA_SWEEP_FULL_HEARTBEAT
from notifications.services import letter_dispatch, letter_queue, letter_resend

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
# A minute's sweep looks this far back for breaches; a full pass without a lower bound runs this often.
BREACH_LOOKBACK = timedelta(hours=2)
FULL_SWEEP_EVERY = timedelta(minutes=15)
# A warning comes at 75 % of the time, but never earlier than this before the due time.
WARNING_MAX_LEAD = timedelta(hours=24)
WARNING_SHARE = 0.25
# The unanswered guard: how long a complaint may wait for its acknowledgement letter, and how far back it looks
# (older ones are listed by the daily health check).
GUARD_GRACE = timedelta(minutes=5)
GUARD_LOOKBACK = timedelta(days=1)
# The health check: a complaint received this close to the end of the day may still be acknowledged.
HEALTH_ACK_ALLOWANCE = timedelta(minutes=15)
DIGEST_OLDEST = 5

# One step up; urgent stays urgent.
PRIORITY_UP = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


@dataclass(frozen=True)
class _Watched:
    """A promise the sweep watches: its due field and the filter that matches its partial index."""

    target: SlaTarget
    due_field: str
    owed: Q


_OPEN = Q(status__in=list(OPEN_STATUSES))
WATCHED = (
    _Watched(SlaTarget.FIRST_RESPONSE, "first_response_due", _OPEN & Q(first_responded_at__isnull=True)),
    _Watched(SlaTarget.NEXT_RESPONSE, "next_response_due", _OPEN & Q(next_response_due__isnull=False)),
    _Watched(SlaTarget.RESOLUTION, "resolution_due", _OPEN),
)
_WATCHED_BY_TARGET = {watched.target: watched for watched in WATCHED}


def _warning_at(*, due: datetime, start: datetime) -> datetime:
    """When the warning for a promise due at ``due`` and running since ``start`` comes."""
    lead = min(max(due - start, timedelta(0)) * WARNING_SHARE, WARNING_MAX_LEAD)
    return due - lead


def _promise_start(*, target: str, due: datetime, received_at: datetime, next_minutes: int | None) -> datetime:
    if target == SlaTarget.NEXT_RESPONSE and next_minutes:
        return due - timedelta(minutes=next_minutes)
    return received_at


def _next_response_minutes(complaint: Complaint) -> int:
    policy = complaint.sla_policy
    if policy is not None:
        return policy.next_response_minutes or policy.first_response_minutes
    return DEFAULT_SLA_MINUTES[complaint.priority][0]


def _alert_exists(target: str, level: str, due_field: str) -> Exists:
    return Exists(
        SlaAlert.objects.filter(complaint=OuterRef("pk"), target=target, level=level, due_at=OuterRef(due_field))
    )


def _candidates(watched: _Watched, *, level: str, now: datetime, full: bool = True) -> QuerySet[Complaint]:
    """Open, running complaints owing ``watched`` whose due time is within the level's horizon and which have no
    alert of that level for it yet: a range scan on the due time's partial index. Without ``full``, breaches are
    looked for only among the due times of the last ``BREACH_LOOKBACK``."""
    due = watched.due_field
    if level == SlaAlertLevel.BREACH:
        horizon = Q(**{f"{due}__lte": now})
        if not full:
            horizon &= Q(**{f"{due}__gt": now - BREACH_LOOKBACK})
    else:
        horizon = Q(**{f"{due}__gt": now, f"{due}__lte": now + WARNING_MAX_LEAD})
    return (
        Complaint.objects.filter(watched.owed, horizon, sla_paused_at__isnull=True)
        .exclude(_alert_exists(watched.target, level, due))
        .order_by(due, "pk")
    )


def _still_owed(complaint: Complaint, *, target: str, level: str, due_at: datetime, now: datetime) -> bool:
    """Re-checked on the locked row: the complaint is open, its clock runs, it still owes the promise with the
    same due time, and the level is reached."""
    watched = _WATCHED_BY_TARGET[SlaTarget(target)]
    if not complaint.is_open or complaint.sla_paused_at is not None:
        return False
    if getattr(complaint, watched.due_field) != due_at:
        return False
    if target == SlaTarget.FIRST_RESPONSE and complaint.first_responded_at is not None:
        return False
    if level == SlaAlertLevel.BREACH:
        return due_at <= now
    start = _promise_start(
        target=target,
        due=due_at,
        received_at=complaint.received_at,
        next_minutes=_next_response_minutes(complaint) if target == SlaTarget.NEXT_RESPONSE else None,
    )
    return _warning_at(due=due_at, start=start) <= now < due_at


def _alert_create(*, complaint: Complaint, target: str, level: str, due_at: datetime, now: datetime) -> SlaAlert | None:
    """Write the alert; ``None`` when it was already written (by another sweep): then nothing is to be done."""
    try:
        with transaction.atomic():
            return SlaAlert.objects.create(
                complaint=complaint, target=target, level=level, due_at=due_at, created_at=now
            )
    except IntegrityError:
        return None


def _promise_label(target: str) -> str:
    return str(SlaTarget(target).label)


def _warn(*, complaint: Complaint, alert: SlaAlert, now: datetime) -> None:
    """Tell the assignee (a letter and the badge on the complaint page) and record it on the timeline."""
    assignee = complaint.assignee
    told = [assignee.get_username()] if assignee is not None and assignee.email else []
    _notify_assignee(
        complaint=complaint,
        kind=LetterKind.SLA_WARNING,
        key=f"{alert.target}:{alert.due_at.isoformat()}",
        promise=_promise_label(alert.target),
        due_at=alert.due_at,
    )
    alert.notified = told
    alert.save(update_fields=["notified"])
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.SLA_WARNING,
        data={"alert": alert.pk, "target": alert.target, "due_at": alert.due_at.isoformat(), "told": told},
        created_at=now,
    )


def _leads_of(complaint: Complaint) -> list[User]:
    if complaint.team_id is None:
        return []
    memberships = TeamMember.objects.filter(team_id=complaint.team_id, is_lead=True, user__is_active=True)
    return [member.user for member in memberships.select_related("user").order_by("user_id")]


def _managers() -> list[User]:
    users = get_user_model().objects.filter(groups__name=MANAGERS_GROUP, is_active=True).exclude(email="")
    return list(users.order_by("pk").distinct())


def _escalate(*, complaint: Complaint, alert: SlaAlert, now: datetime) -> Complaint:
    """A broken promise: on the timeline, one step more urgent, given to someone if nobody has it, and the team's
    leads (or, without any, the managers) told. Returns the complaint, locked and current."""
    pk = complaint.pk
    promise = _promise_label(alert.target)
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.SLA_BREACHED,
        data={"alert": alert.pk, "target": alert.target, "due_at": alert.due_at.isoformat()},
        created_at=now,
    )
    covered = [alert.pk]
    previous_priority = complaint.priority
    raised = PRIORITY_UP[Priority(previous_priority)]
    if raised != previous_priority:
        with translation.override(settings.LANGUAGE_CODE):
            reason = gettext("Promise broken: %(promise)s") % {"promise": promise}
        complaint_change_field(complaint=pk, actor=None, field="priority", value=raised, reason=reason)
        complaint = _lock(pk)
        # The tighter promise counts again from the start: a due time already behind us is this same breach,
        # recorded as covered by this escalation instead of escalating again on the next sweep.
        for watched in WATCHED:
            new_due = getattr(complaint, watched.due_field)
            if new_due is None or new_due > now or (watched.target == alert.target and new_due == alert.due_at):
                continue
            if watched.target == SlaTarget.FIRST_RESPONSE and complaint.first_responded_at is not None:
                continue
            extra = _alert_create(
                complaint=complaint, target=watched.target, level=SlaAlertLevel.BREACH, due_at=new_due, now=now
            )
            if extra is not None:
                extra.notified = {"covered_by": alert.pk}
                extra.save(update_fields=["notified"])
                covered.append(extra.pk)

    leads = _leads_of(complaint)
    assigned_to = ""
    if complaint.assignee_id is None:
        chosen = complaint_auto_assign(complaint=complaint, now=now)
        if chosen is None and complaint.team_id is not None and leads:
            lead = next((user for user in leads if user.has_perm("complaints.change_complaint")), None)
            if lead is not None:
                _hand_over(complaint=complaint, candidate=_Candidate(lead, 0, None), actor=None, now=now)
                chosen = lead
        if chosen is not None:
            complaint = _lock(pk)
            assigned_to = chosen.get_username()

    recipients = [user for user in leads if user.email] or _managers()
    assignee = complaint.assignee
    assignee_name = (assignee.get_full_name() or assignee.get_username()) if assignee is not None else ""
    for recipient in recipients:
        staff_letter_queue(
            complaint=complaint,
            kind=LetterKind.ESCALATION,
            user=recipient,
            idempotency_key=f"escalation:complaint:{pk}:{alert.target}:{alert.due_at.isoformat()}:{recipient.pk}",
            promise=promise,
            due_at=alert.due_at,
            recipient=recipient,
            assignee_name=assignee_name,
        )
    told = [user.get_username() for user in recipients]
    alert.notified = told
    alert.save(update_fields=["notified"])
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.ESCALATED,
        data={
            "alert": alert.pk,
            "alerts": covered,
            "target": alert.target,
            "told": told,
            "priority": {"from": previous_priority, "to": complaint.priority},
            "assigned_to": assigned_to,
        },
        created_at=now,
    )
    return complaint


@transaction.atomic
def sla_alert_handle(*, complaint_id: int, target: str, level: str, due_at: datetime, now: datetime) -> bool:
    """Warn about or escalate one promise of one complaint, at most once; ``True`` if this call did it.

    Everything happens in one transaction with the complaint locked (its team first, when it may be assigned:
    the order every assignment takes its locks in). The alert row is written first; if it exists already, another
    sweep did (or does) the work and nothing happens here.
    """
    if level == SlaAlertLevel.BREACH:
        team_id = Complaint.objects.filter(pk=complaint_id, assignee__isnull=True).values_list("team_id", flat=True)
        found = team_id.first()
        if found is not None:
            _lock_team(found)
    complaint = _lock(complaint_id)
    if not _still_owed(complaint, target=target, level=level, due_at=due_at, now=now):
        return False
    alert = _alert_create(complaint=complaint, target=target, level=level, due_at=due_at, now=now)
    if alert is None:
        return False
    if level == SlaAlertLevel.BREACH:
        _escalate(complaint=complaint, alert=alert, now=now)
    else:
        _warn(complaint=complaint, alert=alert, now=now)
    return True


# One alert to be handled: (complaint id, target, level, due time).
Alert = tuple[int, str, str, datetime]
# Hands a few alerts at once to be handled elsewhere (a worker); called with at most ``ALERT_CHUNK`` of them.
AlertDispatcher = Callable[[list[Alert]], None]
# Alerts per hand-over: one broker message carries this many, so a sweep with a thousand due publishes forty
# messages, not a thousand, and several workers still share the work.
ALERT_CHUNK = 25


def _sweep_level(
    watched: _Watched,
    *,
    level: str,
    now: datetime,
    batch: int,
    dispatch: AlertDispatcher | None = None,
    full: bool = True,
) -> tuple[int, int]:
    """Walk the candidates in batches by (due time, id); returns (acted on or dispatched, looked at)."""
    acted = looked = 0
    after: tuple[datetime, int] | None = None
    due = watched.due_field
    chunk: list[Alert] = []
    while True:
        query = _candidates(watched, level=level, now=now, full=full)
        if after is not None:
            query = query.filter(Q(**{f"{due}__gt": after[0]}) | Q(**{due: after[0], "pk__gt": after[1]}))
        rows = list(
            query.values_list(
                "pk",
                due,
                "received_at",
                "priority",
                "sla_policy__next_response_minutes",
                "sla_policy__first_response_minutes",
            )[:batch]
        )
        if not rows:
            break
        for pk, due_at, received_at, priority, next_minutes, first_minutes in rows:
            looked += 1
            if level == SlaAlertLevel.WARNING:
                minutes = next_minutes or first_minutes or DEFAULT_SLA_MINUTES[priority][0]
                start = _promise_start(target=watched.target, due=due_at, received_at=received_at, next_minutes=minutes)
                if _warning_at(due=due_at, start=start) > now:
                    continue
            if dispatch is not None:
                # No alert row is written until a worker handles it: a lost task is found again next minute.
                chunk.append((pk, watched.target, level, due_at))
                acted += 1
                if len(chunk) == ALERT_CHUNK:
                    dispatch(chunk)
                    chunk = []
                continue
            try:
                if sla_alert_handle(complaint_id=pk, target=watched.target, level=level, due_at=due_at, now=now):
                    acted += 1
            except Exception:  # one complaint's trouble must not stop the sweep; the next sweep tries it again
                logger.exception("SLA sweep: complaint %s (%s %s) failed", pk, watched.target, level)
        if len(rows) < batch:
            break
        after = (rows[-1][1], rows[-1][0])
    if chunk and dispatch is not None:
        dispatch(chunk)
    return acted, looked


def sla_alerts_handle(*, alerts: list[Alert], now: datetime) -> int:
    """Handle alerts a sweep handed over (``sla_alert_handle`` each, in its own transaction); one failing does
    not stop the others (the next sweep hands it over again). Returns how many were acted on."""
    acted = 0
    for complaint_id, target, level, due_at in alerts:
        try:
            if sla_alert_handle(complaint_id=complaint_id, target=target, level=level, due_at=due_at, now=now):
                acted += 1
        except Exception:
            logger.exception("SLA alert: complaint %s (%s %s) failed", complaint_id, target, level)
    return acted


def _full_sweep_due(now: datetime) -> bool:
    last = Heartbeat.objects.filter(name=SLA_SWEEP_FULL_HEARTBEAT).values_list("beat_at", flat=True).first()
    return last is None or last <= now - FULL_SWEEP_EVERY or last > now


def sla_sweep(
    *,
    now: datetime,
    batch: int = SWEEP_BATCH,
    dispatch: AlertDispatcher | None = None,
    full: bool | None = None,
) -> dict[str, int]:
    """Warn about every promise at 75 % of its time and escalate every broken one, once each (see the module's
    docstring). Records the ``sla_sweep`` heartbeat with the counts, and returns them:
    ``{"warnings", "breaches", "looked_at", "full"}`` (``full``: 1 when this sweep read every overdue complaint).

    ``full`` forces (``True``) or skips (``False``) the pass without a lower bound on the breaches; by default it
    runs when the last one finished ``FULL_SWEEP_EVERY`` ago or more (or never did).

    With ``dispatch`` (the beat's sweep), the alerts are handed to it in chunks of ``ALERT_CHUNK`` instead of being
    handled here, so a minute's sweep only reads the due complaints and the workers warn and escalate in parallel;
    the counts are then of alerts handed over. ``sla_alert_handle`` stays the one place that acts, once per alert,
    however often it is handed the same one."""
    if full is None:
        full = _full_sweep_due(now)
    counts = {"warnings": 0, "breaches": 0, "looked_at": 0, "full": int(full)}
    for watched in WATCHED:
        for level, key in ((SlaAlertLevel.BREACH, "breaches"), (SlaAlertLevel.WARNING, "warnings")):
            acted, looked = _sweep_level(watched, level=level, now=now, batch=batch, dispatch=dispatch, full=full)
            counts[key] += acted
            counts["looked_at"] += looked
    details = {**counts, "now": now.isoformat()}
    names = ["sla_sweep", SLA_SWEEP_FULL_HEARTBEAT] if full else ["sla_sweep"]
    # The full pass is recorded only once it went through, so a failed one is tried again next minute.
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, beat_at=now, details=details) for name in names],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["beat_at", "details"],
    )
    return counts


# --- the unanswered guard ---------------------------------------------------------------------------------


@transaction.atomic
def _guard_one(*, complaint_id: int, now: datetime) -> str:
    complaint = _lock(complaint_id)
    if complaint.acknowledged_at is not None:
        return ""
    due_at = complaint.acknowledgement_due or complaint.received_at
    alert = _alert_create(
        complaint=complaint, target=SlaTarget.ACKNOWLEDGEMENT, level=SlaAlertLevel.WARNING, due_at=due_at, now=now
    )
    if alert is None:
        return ""
    letter = Letter.objects.filter(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT).order_by("created_at").first()
    if letter is None:
        _queue_customer_letter(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT, key="received")
        action = "queued"
    elif letter.status == LetterStatus.FAILED:
        letter_resend(letter_id=letter.pk)
        action = "resent"
    elif letter.status == LetterStatus.QUEUED:
        Letter.objects.filter(pk=letter.pk, status=LetterStatus.QUEUED).update(next_attempt_at=now)
        letter_id = letter.pk
        transaction.on_commit(lambda: letter_dispatch(letter_id=letter_id))
        action = "redispatched"
    else:  # being sent, or sent and its delivery not recorded yet
        action = "waiting"
    alert.notified = {"action": action}
    alert.save(update_fields=["notified"])
    return action


def sla_guard_unacknowledged(*, now: datetime, grace: timedelta = GUARD_GRACE) -> dict[str, int]:
    """Complaints received more than ``grace`` ago (within ``GUARD_LOOKBACK``) and still not acknowledged get
    their acknowledgement letter: queued if it was never written, sent again if it failed, handed to a worker
    again if it waits in the queue. Once per complaint (an acknowledgement ``SlaAlert`` records it). Returns the
    count per action."""
    due = Complaint.objects.filter(
        received_at__gte=now - GUARD_LOOKBACK, received_at__lte=now - grace, acknowledged_at__isnull=True
    ).exclude(
        Exists(SlaAlert.objects.filter(complaint=OuterRef("pk"), target=SlaTarget.ACKNOWLEDGEMENT)),
    )
    counts: dict[str, int] = {}
    for complaint_id in due.order_by("received_at").values_list("pk", flat=True)[:SWEEP_BATCH]:
        try:
            action = _guard_one(complaint_id=complaint_id, now=now)
        except Exception:  # the next run tries again
            logger.exception("unanswered guard: complaint %s failed", complaint_id)
            continue
        if action:
            counts[action] = counts.get(action, 0) + 1
    Heartbeat.objects.update_or_create(name="sla_guard", defaults={"beat_at": now, "details": counts})
    return counts


# --- the daily health check and digest --------------------------------------------------------------------


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight of ``day`` in ``settings.TIME_ZONE``."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


def _yesterday(now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.TIME_ZONE)).date() - timedelta(days=1)


def _escalated_alert_ids(complaint_ids: set[int]) -> set[int]:
    events = ComplaintEvent.objects.filter(kind=ComplaintEvent.Kind.ESCALATED, complaint_id__in=complaint_ids)
    found: set[int] = set()
    for data in events.values_list("data", flat=True):
        found.update(data.get("alerts") or [data.get("alert")])
    return found


def sla_health_check(*, now: datetime, day: date | None = None) -> SlaHealthCheck:
    """Prove "no complaint goes unanswered" for ``day`` (yesterday by default, in ``settings.TIME_ZONE``):
    complaints received, those received over ``HEALTH_ACK_ALLOWANCE`` before the day's end and still not
    acknowledged, promises broken that day and how many of them were escalated. Stores and returns the check;
    ``offenders`` lists the references that break the invariant."""
    start, end = local_day_bounds(day or _yesterday(now))
    received = Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
    unacknowledged = list(
        received.filter(received_at__lt=end - HEALTH_ACK_ALLOWANCE, acknowledged_at__isnull=True)
        .order_by("received_at")
        .values_list("reference", flat=True)
    )
    breaches = list(
        SlaAlert.objects.filter(level=SlaAlertLevel.BREACH, created_at__gte=start, created_at__lt=end).values_list(
            "pk", "complaint_id", "complaint__reference"
        )
    )
    escalated_ids = _escalated_alert_ids({complaint_id for _pk, complaint_id, _ref in breaches})
    not_escalated = [reference for pk, _id, reference in breaches if pk not in escalated_ids]
    return SlaHealthCheck.objects.create(
        checked_at=now,
        period_start=start,
        period_end=end,
        received=received.count(),
        unacknowledged=len(unacknowledged),
        breaches=len(breaches),
        escalated=len(breaches) - len(not_escalated),
        offenders=list(dict.fromkeys([*unacknowledged, *not_escalated])),
    )


def digest_figures(*, now: datetime, start: datetime, end: datetime) -> dict[str, Any]:
    """What the managers' digest reports for the period from ``start`` to ``end`` (see its template)."""
    open_complaints = Complaint.objects.filter(status__in=list(OPEN_STATUSES))
    oldest = open_complaints.order_by("received_at", "pk")[:DIGEST_OLDEST]
    compensation = (
        CompensationOffer.objects.filter(
            status__in=[OfferStatus.ACCEPTED, OfferStatus.FULFILLED],
            decided_at__gte=start,
            decided_at__lt=end,
            amount__isnull=False,
        )
        .values("currency")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("currency")
    )
    return {
        "period_start": start,
        "period_end": end,
        "new_count": Complaint.objects.filter(received_at__gte=start, received_at__lt=end).count(),
        "resolved_count": Complaint.objects.filter(resolved_at__gte=start, resolved_at__lt=end).count(),
        "breached_count": SlaAlert.objects.filter(
            level=SlaAlertLevel.BREACH, created_at__gte=start, created_at__lt=end
        ).count(),
        "open_count": open_complaints.count(),
        "oldest_open": [
            {"reference": c.reference, "age_days": (now - c.received_at).days, "url": staff_url(c)} for c in oldest
        ],
        "compensation": [
            # Amounts are stored with three decimals (for dinars): shown in the currency's own minor unit.
            {
                "currency": row["currency"],
                "total": round_money(row["total"] or Decimal(0), row["currency"]),
                "count": row["count"],
            }
            for row in compensation
        ],
        "dashboard_url": f"{settings.PUBLIC_BASE_URL}{reverse('dashboard:queue')}",
    }


def sla_digest_send(*, now: datetime) -> int:
    """Queue the daily digest (yesterday, in ``settings.TIME_ZONE``) to every manager with an email address, once
    a day each (``digest:<user id>:<date>``), in the site's language. Returns how many were queued."""
    day = _yesterday(now)
    start, end = local_day_bounds(day)
    figures = digest_figures(now=now, start=start, end=end)
    sent = 0
    with transaction.atomic():
        for manager in _managers():
            key = f"digest:{manager.pk}:{day.isoformat()}"
            if Letter.objects.filter(idempotency_key=key).exists():
                continue
            letter_queue(
                kind=LetterKind.DIGEST,
                recipient=manager.email,
                language=settings.LANGUAGE_CODE,
                idempotency_key=key,
                context={**figures, "recipient": manager},
            )
            sent += 1
    return sent
