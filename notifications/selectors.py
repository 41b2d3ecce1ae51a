"""Reads for letters and received mail, and the staff leads' operations and health pages."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.models import OPEN_STATUSES, Complaint, SlaAlert, SlaAlertLevel, SlaHealthCheck
from complaints.permissions import can_lead_team
from config.exceptions import PermissionRefused
from notifications.models import Heartbeat, InboundMail, Letter, LetterStatus
from notifications.services import LETTER_SWEEPER_HEARTBEAT, WORKER_HEARTBEAT_PREFIX


def inbound_mail_list_for_staff(*, statuses: Sequence[str], limit: int = 100) -> QuerySet[InboundMail]:
    """Received mail in ``statuses``, newest first, for the staff list (the raw message is not loaded)."""
    return (
        InboundMail.objects.filter(status__in=list(statuses))
        .select_related("complaint")
        .defer("raw")
        .order_by("-received_at", "-id")[:limit]
    )


# --- the operations page ------------------------------------------------------------------------------

SLA_SWEEP_HEARTBEAT = "sla_sweep"
SLA_SWEEP_FULL_HEARTBEAT = "sla_sweep_full"
SLA_GUARD_HEARTBEAT = "sla_guard"
# A beat is late when it has not run for this long (the jobs run every minute, workers every 30 s).
SLA_SWEEP_LATE_AFTER = timedelta(minutes=3)
# The sweep's full pass (every overdue complaint, not only the last hour's) runs every 15 minutes.
SLA_SWEEP_FULL_LATE_AFTER = timedelta(minutes=30)
LETTER_SWEEPER_LATE_AFTER = timedelta(minutes=3)
WORKER_LATE_AFTER = timedelta(minutes=2)
FAILED_LETTERS_SHOWN = 50
FAILED_COUNT_PERIOD = timedelta(days=7)
SENT_COUNT_PERIOD = timedelta(hours=1)
# No index covers sent_at: "sent in the last hour" reads the letters written in the last day (the status and
# creation time index) and keeps those sent within the hour. Retries end within a few hours of writing, so
# only a letter resent days later is left out of the figure.
SENT_LOOKBACK = timedelta(days=1)
# An open complaint not acknowledged this long after it came in means letters are not going out.
UNACKNOWLEDGED_AFTER = timedelta(minutes=15)
HEALTH_CHECKS_SHOWN = 30


class HeartbeatState:
    OK = "ok"
    LATE = "late"
    MISSING = "missing"


@dataclass(frozen=True)
class HeartbeatStatus:
    name: str
    label: str | Promise
    state: str
    beat_at: datetime | None = None
    age: timedelta | None = None
    # When it should have run again and did not.
    late_since: datetime | None = None


@dataclass(frozen=True)
class OperationsOverview:
    now: datetime
    queued: int
    oldest_queued_at: datetime | None
    oldest_queued_age: timedelta | None
    sending: int
    failed_recent: int
    failed_letters: list[Letter]
    sent_last_hour: int
    breaches_today: int
    warnings_today: int
    heartbeats: list[HeartbeatStatus]
    latest_check: SlaHealthCheck | None
    failed_period_days: int = FAILED_COUNT_PERIOD.days

    @property
    def all_ok(self) -> bool:
        return all(beat.state == HeartbeatState.OK for beat in self.heartbeats)


def _require_lead(user: User | AnonymousUser) -> None:
    if not can_lead_team(user):
        raise PermissionRefused(_("Only team leads and managers can see the operations pages."))


def _heartbeat_status(
    *, name: str, label: str | Promise, beat: Heartbeat | None, late_after: timedelta, now: datetime
) -> HeartbeatStatus:
    if beat is None:
        return HeartbeatStatus(name=name, label=label, state=HeartbeatState.MISSING)
    age = max(now - beat.beat_at, timedelta(0))
    late = age > late_after
    return HeartbeatStatus(
        name=name,
        label=label,
        state=HeartbeatState.LATE if late else HeartbeatState.OK,
        beat_at=beat.beat_at,
        age=age,
        late_since=beat.beat_at + late_after if late else None,
    )


# The jobs Celery beat runs, each with the name of its heartbeat and how long it may be silent.
_BEAT_JOBS: tuple[tuple[str, Promise, timedelta], ...] = (
    (SLA_SWEEP_HEARTBEAT, _("Promise sweep (every minute)"), SLA_SWEEP_LATE_AFTER),
    (SLA_SWEEP_FULL_HEARTBEAT, _("Promise sweep, full pass (every 15 minutes)"), SLA_SWEEP_FULL_LATE_AFTER),
    (SLA_GUARD_HEARTBEAT, _("Acknowledgement guard (every minute)"), SLA_SWEEP_LATE_AFTER),
    (LETTER_SWEEPER_HEARTBEAT, _("Letter sweeper (every minute)"), LETTER_SWEEPER_LATE_AFTER),
)


def heartbeat_statuses(*, now: datetime) -> list[HeartbeatStatus]:
    """The SLA sweep and guard, the letter sweeper and every worker that ever beat, each ok, late or missing
    (one query)."""
    beats = {beat.name: beat for beat in Heartbeat.objects.all()}
    statuses = [
        _heartbeat_status(name=name, label=label, beat=beats.get(name), late_after=late_after, now=now)
        for name, label, late_after in _BEAT_JOBS
    ]
    workers = sorted(name for name in beats if name.startswith(WORKER_HEARTBEAT_PREFIX))
    if not workers:
        statuses.append(
            _heartbeat_status(
                name=WORKER_HEARTBEAT_PREFIX, label=_("Worker"), beat=None, late_after=WORKER_LATE_AFTER, now=now
            )
        )
    for name in workers:
        hostname = name.removeprefix(WORKER_HEARTBEAT_PREFIX)
        statuses.append(
            _heartbeat_status(
                name=name,
                label=_("Worker %(hostname)s") % {"hostname": hostname},
                beat=beats[name],
                late_after=WORKER_LATE_AFTER,
                now=now,
            )
        )
    return statuses


def operations_overview(*, user: User | AnonymousUser, now: datetime) -> OperationsOverview:
    """What a staff lead needs to see that letters go out and the promise watch runs, in seven queries
    whatever the number of letters (the letter reads walk ``letter_status_created``, the alert counts
    ``sla_alert_level_time``; checked with EXPLAIN). Team leads and managers only."""
    _require_lead(user)
    in_flight = Letter.objects.filter(status__in=[LetterStatus.QUEUED, LetterStatus.SENDING]).aggregate(
        queued=Count("pk", filter=Q(status=LetterStatus.QUEUED)),
        sending=Count("pk", filter=Q(status=LetterStatus.SENDING)),
        oldest_queued_at=Min("created_at", filter=Q(status=LetterStatus.QUEUED)),
    )
    failed_recent = Letter.objects.filter(status=LetterStatus.FAILED, created_at__gte=now - FAILED_COUNT_PERIOD).count()
    failed_letters = list(
        Letter.objects.filter(status=LetterStatus.FAILED)
        .select_related("complaint")
        .only(
            "pk",
            "recipient",
            "kind",
            "subject",
            "last_error",
            "attempts",
            "created_at",
            "status",
            "complaint",
            "complaint__reference",
        )
        .order_by("-created_at", "-pk")[:FAILED_LETTERS_SHOWN]
    )
    sent_last_hour = Letter.objects.filter(
        status=LetterStatus.SENT, created_at__gte=now - SENT_LOOKBACK, sent_at__gte=now - SENT_COUNT_PERIOD
    ).count()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    alerts = SlaAlert.objects.filter(
        level__in=[SlaAlertLevel.BREACH, SlaAlertLevel.WARNING], created_at__gte=midnight
    ).aggregate(
        breaches=Count("pk", filter=Q(level=SlaAlertLevel.BREACH)),
        warnings=Count("pk", filter=Q(level=SlaAlertLevel.WARNING)),
    )
    oldest_queued_at: datetime | None = in_flight["oldest_queued_at"]
    return OperationsOverview(
        now=now,
        queued=in_flight["queued"],
        oldest_queued_at=oldest_queued_at,
        oldest_queued_age=max(now - oldest_queued_at, timedelta(0)) if oldest_queued_at else None,
        sending=in_flight["sending"],
        failed_recent=failed_recent,
        failed_letters=failed_letters,
        sent_last_hour=sent_last_hour,
        breaches_today=alerts["breaches"],
        warnings_today=alerts["warnings"],
        heartbeats=heartbeat_statuses(now=now),
        latest_check=SlaHealthCheck.objects.order_by("-checked_at", "-pk").first(),
    )


# --- the health page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaHealth:
    checks: list[SlaHealthCheck]
    unacknowledged_now: int
    unacknowledged_after: timedelta = UNACKNOWLEDGED_AFTER

    @property
    def unacknowledged_after_minutes(self) -> int:
        return int(self.unacknowledged_after.total_seconds() // 60)


def sla_health(*, user: User | AnonymousUser, now: datetime, limit: int = HEALTH_CHECKS_SHOWN) -> SlaHealth:
    """The latest daily promise checks, newest first, and how many open complaints are waiting right now for
    their acknowledgement longer than they should (two queries). Team leads and managers only."""
    _require_lead(user)
    checks = list(SlaHealthCheck.objects.order_by("-checked_at", "-pk")[:limit])
    unacknowledged_now = Complaint.objects.filter(
        status__in=list(OPEN_STATUSES), acknowledged_at__isnull=True, received_at__lt=now - UNACKNOWLEDGED_AFTER
    ).count()
    return SlaHealth(checks=checks, unacknowledged_now=unacknowledged_now)
