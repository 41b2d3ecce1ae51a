"""Teams and the duty rota: which team a new complaint goes to, which of its members gets it, and the manual
overrides (another team, the duty switch, sharing out a team's unassigned complaints).

Automatic assignment picks, among the team's members who are on duty and may handle complaints, the one with
the fewest open complaints; ties go to whoever waited longest for one (never given one first), then the lowest
id. The team's row is locked while choosing, so two complaints submitted at the same moment never both go to
the same "least loaded" agent.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    OPEN_STATUSES,
    AgentDuty,
    Complaint,
    ComplaintEvent,
    Team,
    TeamMember,
    complaint_sla_due_key,
)
from complaints.permissions import can_handle_complaints, can_lead_team, can_view_reports
from complaints.services.core import _lock, _record_field_change, _require_handler, _touch
from config.exceptions import ApplicationError, PermissionRefused

# Sorts "never given a complaint" before any real time.
_NEVER = datetime.min.replace(tzinfo=UTC)


def _handlers_condition() -> Q:
    """Active users who may handle complaints (``can_handle_complaints``), as SQL instead of a has_perm per user."""
    handle = Permission.objects.filter(content_type__app_label="complaints", codename="change_complaint")
    through_group = Exists(handle.filter(group__user=OuterRef("pk")))
    direct = Exists(handle.filter(user=OuterRef("pk")))
    return Q(is_active=True) & (Q(is_superuser=True) | through_group | direct)


def staff_handlers() -> QuerySet[User]:
    """Everyone who may handle complaints, in one query whatever their groups."""
    return get_user_model().objects.filter(_handlers_condition())


def open_load_subquery() -> Coalesce:
    """The number of open complaints assigned to the user of the outer row (the (assignee, status) index)."""
    load = (
        Complaint.objects.filter(assignee=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(load), Value(0))


@dataclass
class _Candidate:
    user: User
    load: int
    last_assigned_at: datetime | None

    def rank(self) -> tuple[int, datetime, int]:
        return (self.load, self.last_assigned_at or _NEVER, self.user.pk)


def _candidates(team: Team) -> list[_Candidate]:
    """The team's members who are on duty and may handle complaints, with their open load: one query."""
    users = (
        staff_handlers()
        .filter(team_memberships__team=team, duty__on_duty=True)
        .annotate(open_load=open_load_subquery(), duty_last_assigned_at=F("duty__last_assigned_at"))
    )
    return [_Candidate(user=user, load=user.open_load, last_assigned_at=user.duty_last_assigned_at) for user in users]


def _least_loaded(candidates: list[_Candidate]) -> _Candidate | None:
    return min(candidates, key=_Candidate.rank, default=None)


def _assignment_data(previous: User | None, assignee: User | None) -> dict[str, str]:
    """The keys of an ASSIGNED event, the same as ``complaint_assign`` records."""
    return {
        "from": previous.get_username() if previous else "",
        "to": assignee.get_username() if assignee else "",
        "from_name": (previous.get_full_name() or previous.get_username()) if previous else "",
        "to_name": (assignee.get_full_name() or assignee.get_username()) if assignee else "",
    }


def _hand_over(*, complaint: Complaint, candidate: _Candidate, actor: User | None, now: datetime) -> None:
    """Give a locked complaint to ``candidate``: the one piece of code every automatic assignment goes through."""
    previous = complaint.assignee
    complaint.assignee = candidate.user
    _touch(complaint, now, ["assignee"])
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.ASSIGNED,
        author=actor,
        data={"auto": True, **_assignment_data(previous, candidate.user)},
        created_at=now,
    )
    AgentDuty.objects.filter(user=candidate.user).update(last_assigned_at=now)
    candidate.load += 1
    candidate.last_assigned_at = now


def _lock_team(team_id: int) -> Team | None:
    return Team.objects.select_for_update().filter(pk=team_id).first()


def complaint_route(*, complaint: Complaint) -> Team | None:
    """Put a new complaint in its team: a team whose products include the complaint's product (the first by
    name if several do), else the default team, else none. Saves and returns the team."""
    team = None
    if complaint.product_id is not None:
        team = Team.objects.filter(products=complaint.product_id).order_by("name").first()
    if team is None:
        team = Team.objects.filter(is_default=True).first()
    if team is not None and complaint.team_id != team.pk:
        complaint.team = team
        complaint.save(update_fields=["team"])
    return team


@transaction.atomic
def complaint_auto_assign(*, complaint: Complaint | int, now: datetime) -> User | None:
    """Give an open, unassigned complaint to the least loaded on-duty member of its team.

    Returns the new assignee, or ``None`` when the complaint has no team, is already assigned or closed, or
    nobody in the team is on duty (it then waits unassigned in the team's queue). Records an ASSIGNED event
    without an author, with ``{"auto": true}`` in its data, and the agent's ``last_assigned_at``.
    """
    if isinstance(complaint, int):
        pk, team_id = complaint, Complaint.objects.filter(pk=complaint).values_list("team_id", flat=True).first()
    else:
        pk, team_id = complaint.pk, complaint.team_id
    if team_id is None:
        return None
    # Team first, then the complaint: the order every service here takes its locks in.
    team = _lock_team(team_id)
    if team is None:
        return None
    locked = _lock(pk)
    if locked.team_id != team.pk or locked.assignee_id is not None or not locked.is_open:
        return None
    chosen = _least_loaded(_candidates(team))
    if chosen is None:
        return None
    _hand_over(complaint=locked, candidate=chosen, actor=None, now=now)
    if isinstance(complaint, Complaint):
        complaint.assignee, complaint.updated_at = locked.assignee, locked.updated_at
    return chosen.user


def _leads_team_of(actor: User, *, member: User) -> bool:
    """Whether ``actor`` is the lead of a team ``member`` belongs to."""
    return TeamMember.objects.filter(
        user=member, team__memberships__user=actor, team__memberships__is_lead=True
    ).exists()


@transaction.atomic
def agent_duty_set(*, user: User | int, on_duty: bool, actor: User) -> AgentDuty:
    """Put ``user`` on or off duty. Agents switch their own; a team lead anyone in the teams they lead;
    a manager anyone. Others get ``PermissionRefused``. Only staff who may handle complaints go on duty.

    Records the time of the change (``changed_at``); setting the current value again changes nothing.
    """
    if isinstance(user, int):
        found = get_user_model().objects.filter(pk=user).first()
        if found is None:
            raise ApplicationError(_("There is no such staff member."), extra={"field": "user"})
        user = found
    own = actor.pk == user.pk and can_handle_complaints(actor)
    if not (own or can_view_reports(actor) or (can_lead_team(actor) and _leads_team_of(actor, member=user))):
        raise PermissionRefused(_("You may switch duty only for yourself and for the members of teams you lead."))
    if on_duty and not can_handle_complaints(user):
        raise ApplicationError(_("This person cannot handle complaints."), extra={"field": "user"})
    AgentDuty.objects.get_or_create(user=user)
    duty = AgentDuty.objects.select_for_update().get(user=user)
    if duty.on_duty != on_duty:
        duty.on_duty = on_duty
        duty.changed_at = timezone.now()
        duty.save(update_fields=["on_duty", "changed_at"])
    return duty


@transaction.atomic
def complaint_change_team(*, complaint: Complaint | int, team_id: int | None, actor: User, reason: str) -> Complaint:
    """Move a complaint to another team (or to none), with the reason on the timeline: a staff-only
    ``FIELD_CHANGED`` event with ``{"field": "team", "from": <team name>, "to": <team name>}``.

    If the assignee is not a member of the new team, the complaint is handed over: to the new team's least loaded
    on-duty member, or unassigned in its queue. Raises ``ApplicationError`` for an unknown team or a missing
    reason; moving it to the team it is in changes nothing.
    """
    _require_handler(actor)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Please give a reason for the new team."), extra={"field": "reason"})
    team = None
    if team_id is not None:
        team = _lock_team(team_id)
        if team is None:
            raise ApplicationError(_("There is no such team."), extra={"field": "team"})
    locked = _lock(complaint)
    if locked.team_id == team_id:
        return locked
    previous = ""
    if locked.team_id is not None:
        previous = Team.objects.filter(pk=locked.team_id).values_list("name", flat=True).first() or ""
    locked.team = team
    now = timezone.now()
    _touch(locked, now, ["team"])
    _record_field_change(
        complaint=locked, actor=actor, field="team", old=previous, new=team.name if team else "", reason=reason, now=now
    )
    if team is not None and locked.is_open:
        assignee_id = locked.assignee_id
        if assignee_id is None or not TeamMember.objects.filter(team=team, user_id=assignee_id).exists():
            _hand_over_or_release(complaint=locked, team=team, actor=actor, now=now)
    return locked


def _hand_over_or_release(*, complaint: Complaint, team: Team, actor: User, now: datetime) -> None:
    chosen = _least_loaded(_candidates(team))
    if chosen is not None:
        _hand_over(complaint=complaint, candidate=chosen, actor=actor, now=now)
        return
    if complaint.assignee is None:
        return
    previous = complaint.assignee
    complaint.assignee = None
    _touch(complaint, now, ["assignee"])
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.ASSIGNED,
        author=actor,
        data={"auto": True, **_assignment_data(previous, None)},
        created_at=now,
    )


def can_run_team(actor: User, team: Team) -> bool:
    """Managers run every team; a team lead the teams they lead."""
    if can_view_reports(actor):
        return True
    return can_lead_team(actor) and TeamMember.objects.filter(team=team, user=actor, is_lead=True).exists()


@dataclass(frozen=True)
class Distribution:
    """What ``team_distribute_unassigned`` did: complaints given out, and those still waiting unassigned."""

    assigned: int
    still_unassigned: int
    per_agent: dict[str, int]


@transaction.atomic
def team_distribute_unassigned(*, team: Team | int, actor: User, limit: int = 200) -> Distribution:
    """Share the team's unassigned open complaints (the soonest due first, at most ``limit``) among its on-duty
    members, least loaded first, each through the same assignment code as a new complaint.

    For the team's lead or a manager; anyone else gets ``PermissionRefused``. With nobody on duty nothing moves.
    """
    team_id = team if isinstance(team, int) else team.pk
    locked_team = _lock_team(team_id)
    if locked_team is None:
        raise ApplicationError(_("There is no such team."), extra={"field": "team"})
    if not can_run_team(actor, locked_team):
        raise PermissionRefused(_("Only the team's lead or a manager can share out its complaints."))
    now = timezone.now()
    candidates = _candidates(locked_team)
    per_agent: dict[str, int] = {}
    assigned = 0
    if candidates:
        waiting = list(
            Complaint.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(team=locked_team, assignee__isnull=True, status__in=OPEN_STATUSES)
            .order_by(complaint_sla_due_key(), "pk")[:limit]
        )
        for complaint in waiting:
            chosen = _least_loaded(candidates)
            if chosen is None:  # pragma: no cover - candidates is not empty
                break
            _hand_over(complaint=complaint, candidate=chosen, actor=actor, now=now)
            name = chosen.user.get_full_name() or chosen.user.get_username()
            per_agent[name] = per_agent.get(name, 0) + 1
            assigned += 1
    left = Complaint.objects.filter(team=locked_team, assignee__isnull=True, status__in=OPEN_STATUSES).count()
    return Distribution(assigned=assigned, still_unassigned=left, per_agent=per_agent)
