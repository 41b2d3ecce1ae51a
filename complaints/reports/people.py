"""Per agent and per team: complaints handled (resolved or declined) in the period, median times, broken
promises and the customers' ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from complaints.models import Team
from complaints.reports.base import Chart, Column, Figure, Period, Report, Table
from complaints.reports.passes import grouped
from complaints.reports.sla import broken_q
from complaints.reports.stats import hours
from complaints.reports.times import decided_in


def _handled(rows: list[dict[str, Any]], group: str) -> list[dict[str, Any]]:
    """One row per value of ``group`` (``assignee`` or ``team``): counts, ratings, median times."""
    return [
        {
            group: row[group],
            "handled": row["n"],
            "broken": row["broken"],
            "rated": row["rated"],
            "rating_avg": round(row["rating_sum"] / row["rated"], 2) if row["rated"] else None,
            "first_response_median": hours(row["first_w"][1][0]),
            "resolution_median": hours(row["res_w"][1][0]),
        }
        for row in rows
    ]


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
    """One pass over the complaints decided in the period (per agent and per team, with the median times), and
    the names."""
    passes = grouped(
        decided_in(period),
        columns={
            "assignee": "assignee_id",
            "team": "team_id",
            "first_w": "first_response_working_minutes",
            "res_w": "resolution_working_minutes",
        },
        sums={
            "broken": broken_q("first_responded_at", "first_response_due", now)
            | broken_q("decided_at", "resolution_due", now),
            "rated": Q(rating__isnull=False),
            "rating_sum": Coalesce(F("rating"), Value(0)),
        },
        groupings=[("assignee",), ("team",)],
        spreads=["first_w", "res_w"],
    )
    agent_rows = _handled(passes[("assignee",)], "assignee")
    team_rows = _handled(passes[("team",)], "team")
    user_ids = [row["assignee"] for row in agent_rows if row["assignee"] is not None]
    people = {
        person.pk: person.get_full_name() or person.get_username()
        for person in get_user_model().objects.filter(pk__in=user_ids)
    }
    team_ids = [row["team"] for row in team_rows if row["team"] is not None]
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    nobody, no_team = _("Not assigned"), _("No team")
    for row in agent_rows:
        row["agent"] = people.get(row.pop("assignee"), nobody)
    for row in team_rows:
        row["team"] = teams.get(row.pop("team"), no_team)
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
