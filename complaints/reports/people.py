"""Per agent and per team: complaints handled (resolved or declined) in the period, median times, broken
promises and the customers' ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, QuerySet
from django.utils.translation import gettext as _

from complaints.models import Complaint, Team
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.sla import broken_q
from complaints.reports.stats import as_rows, hours, quantiles_by
from complaints.reports.times import decided_in

TIME_FIELDS = ["first_response_working_minutes", "resolution_working_minutes"]


def _handled(decided: QuerySet[Complaint], group: str, now: datetime) -> list[dict[str, Any]]:
    """One row per ``group`` value with counts and ratings (one query) and the median times (one query)."""
    first_broken = broken_q("first_responded_at", "first_response_due", now)
    resolution_broken = broken_q("decided_at", "resolution_due", now)
    rows = as_rows(
        decided.values(group)
        .annotate(
            handled=Count("id"),
            broken=Count("id", filter=first_broken | resolution_broken),
            rated=Count("rating"),
            rating_avg=Avg("rating"),
        )
        .order_by()
    )
    medians = quantiles_by(decided, group, TIME_FIELDS)
    for row in rows:
        times = medians.get(row[group], {})
        row["first_response_median"] = hours(times.get(TIME_FIELDS[0], [None])[0])
        row["resolution_median"] = hours(times.get(TIME_FIELDS[1], [None])[0])
        row["rating_avg"] = None if row["rating_avg"] is None else round(float(row["rating_avg"]), 2)
    return rows


def _columns(first: Column) -> list[Column]:
    return [
        first,
        Column("handled", _("Resolved or declined"), "count"),
        Column("first_response_median", _("First response, median working hours"), "hours"),
        Column("resolution_median", _("Resolution, median working hours"), "hours"),
        Column("broken", _("With a promise broken"), "count"),
        Column("rating_avg", _("Average rating"), "rating"),
        Column("rated", _("Ratings"), "count"),
    ]


def report_people(*, period: Period, now: datetime) -> Report:
    """Four queries for the two groupings, two for the names."""
    decided = decided_in(period)
    agent_rows = _handled(decided, "assignee_id", now)
    team_rows = _handled(decided, "team_id", now)
    user_ids = [row["assignee_id"] for row in agent_rows if row["assignee_id"] is not None]
    people = {
        person.pk: person.get_full_name() or person.get_username()
        for person in get_user_model().objects.filter(pk__in=user_ids)
    }
    team_ids = [row["team_id"] for row in team_rows if row["team_id"] is not None]
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    nobody, no_team = _("Not assigned"), _("No team")
    for row in agent_rows:
        row["agent"] = people.get(row.pop("assignee_id"), nobody)
    for row in team_rows:
        row["team"] = teams.get(row.pop("team_id"), no_team)
    agent_rows.sort(key=lambda row: (-row["handled"], row["agent"]))
    team_rows.sort(key=lambda row: (-row["handled"], row["team"]))

    return Report(
        slug="people",
        title=_("Agents and teams"),
        description=_(
            "The complaints each agent and each team resolved or declined in the period (by whom they are assigned"
            " to now): how quickly, how many broke a promise, and how the customers rated them."
        ),
        period=period,
        figures=[
            Figure("agents", _("Agents who resolved complaints"), len([r for r in agent_rows if r["agent"] != nobody])),
            Figure("teams", _("Teams"), len([r for r in team_rows if r["team"] != no_team])),
        ],
        tables=[
            Table(
                key="agents",
                title=_("Per agent"),
                columns=_columns(Column("agent", _("Agent"), "text")),
                rows=agent_rows,
                chart=Chart("bar", "agent", ("handled", "broken")),
            ),
            Table(
                key="teams",
                title=_("Per team"),
                columns=_columns(Column("team", _("Team"), "text")),
                rows=team_rows,
                chart=Chart("bar", "team", ("handled", "broken")),
            ),
        ],
    )
