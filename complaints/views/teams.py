"""Teams and duty on the dashboard: the team leads' page (workload, duty switches, sharing out the unassigned
complaints), the staff member's own duty switch in the header, and the team and incident boxes on the complaint
page.

Thin: ``complaints.selectors`` reads, ``complaints.services`` writes and checks who may do what.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from compensation.incidents.selectors import incident_given_to_customer
from compensation.models import Incident
from complaints import selectors, services
from complaints.models import Complaint
from complaints.permissions import staff_user

# The complaint page's module imports this one, so it is used at call time only (never while importing).
from complaints.views import staff
from complaints.views.access import leads_required, staff_required
from config.exceptions import ApplicationError

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class DutyForm(forms.Form):
    on_duty = forms.ChoiceField(choices=[("on", gettext_lazy("On duty")), ("off", gettext_lazy("Off duty"))])


class TeamChangeForm(forms.Form):
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None)
    reason = forms.CharField(label=gettext_lazy("Why"), max_length=2000)

    def __init__(self, *args: Any, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["team"])
        field.choices = [("", gettext_lazy("No team")), *teams]


class IncidentChangeForm(forms.Form):
    incident = forms.TypedChoiceField(label=gettext_lazy("Incident"), required=False, coerce=int, empty_value=None)
    reason = forms.CharField(label=gettext_lazy("Why"), max_length=2000)

    def __init__(self, *args: Any, incidents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["incident"])
        field.choices = [("", gettext_lazy("Not linked to an incident")), *incidents]


def incident_label(incident: Incident) -> str:
    """How an incident is named in a select: its title and the day it started (as the queue filter names it)."""
    return f"{incident.title} ({timezone.localdate(incident.started_at).isoformat()})"


def _incident_choices(incidents: list[Incident]) -> list[tuple[int, str]]:
    return [(incident.pk, incident_label(incident)) for incident in incidents]


def _return_url(request: HttpRequest, default: str) -> str:
    """The page the form was on (``next``), if it is a URL of this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _duty_message(on_duty: bool) -> str:
    if on_duty:
        return _("On duty: new complaints of your teams come to you.")
    return _("Off duty: new complaints no longer come to you.")


@require_GET
@leads_required
def teams_page(request: HttpRequest) -> HttpResponse:
    """Teams and duty: who is on duty, how loaded each member is, and what waits unassigned."""
    workload = selectors.team_workload(user=request.user)
    return render(request, "dashboard/teams.html", {"workload": workload})


@require_POST
@staff_required
def duty_own(request: HttpRequest) -> HttpResponse:
    """The signed-in staff member goes on or off duty (the switch in the header)."""
    me = staff_user(request.user)
    back = _return_url(request, reverse("dashboard:queue"))
    form = DutyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose on duty or off duty."))
        return redirect(back)
    on_duty = form.cleaned_data["on_duty"] == "on"
    try:
        services.agent_duty_set(user=me, on_duty=on_duty, actor=me)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _duty_message(on_duty))
    return redirect(back)


@require_POST
@leads_required
def duty_member(request: HttpRequest, user_id: int) -> HttpResponse:
    """A team lead or manager puts a member on or off duty (the teams page)."""
    me = staff_user(request.user)
    form = DutyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose on duty or off duty."))
        return redirect(reverse("dashboard:teams"))
    on_duty = form.cleaned_data["on_duty"] == "on"
    try:
        duty = services.agent_duty_set(user=user_id, on_duty=on_duty, actor=me)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        name = duty.user.get_full_name() or duty.user.get_username()
        if on_duty:
            messages.success(request, _("%(name)s is on duty.") % {"name": name})
        else:
            messages.success(request, _("%(name)s is off duty.") % {"name": name})
    return redirect(reverse("dashboard:teams"))


@require_POST
@leads_required
def team_distribute(request: HttpRequest, team_id: int) -> HttpResponse:
    """Share out the team's unassigned open complaints among its members on duty."""
    try:
        result = services.team_distribute_unassigned(team=team_id, actor=staff_user(request.user))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect(reverse("dashboard:teams"))
    if result.assigned:
        text = ngettext("%(count)d complaint shared out.", "%(count)d complaints shared out.", result.assigned) % {
            "count": result.assigned
        }
    else:
        text = _("Nothing was shared out.")
    if result.still_unassigned:
        waiting = ngettext(
            "%(count)d still waits unassigned (is anyone on duty?).",
            "%(count)d still wait unassigned (is anyone on duty?).",
            result.still_unassigned,
        ) % {"count": result.still_unassigned}
        messages.warning(request, f"{text} {waiting}")
    else:
        messages.success(request, text)
    return redirect(reverse("dashboard:teams"))


@require_POST
@staff_required
def complaint_change_team(request: HttpRequest, reference: str) -> HttpResponse:
    """The complaint page's team box: move the complaint to another team, with a reason."""
    return staff._perform(
        request,
        reference,
        form=TeamChangeForm(request.POST, teams=selectors.teams_for_choice()),
        form_name="team_form",
        invalid=_("Choose the team and say why."),
        action=lambda complaint, actor, data: services.complaint_change_team(
            complaint=complaint, team_id=data["team"], actor=actor, reason=data["reason"]
        ),
        done=lambda data: _("Moved; the reason is on the timeline."),
    )


@require_POST
@staff_required
def complaint_change_incident(request: HttpRequest, reference: str) -> HttpResponse:
    """The complaint page's incident box: link the complaint to an incident (or unlink it), with a reason."""
    current = selectors.complaint_incident_id_for_staff(user=request.user, reference=reference)
    incidents = _incident_choices(selectors.incidents_for_choice(current_id=current))
    return staff._perform(
        request,
        reference,
        form=IncidentChangeForm(request.POST, incidents=incidents),
        form_name="incident_form",
        invalid=_("Choose the incident and say why."),
        action=lambda complaint, actor, data: services.complaint_set_incident(
            complaint=complaint, incident_id=data["incident"], actor=actor, reason=data["reason"]
        ),
        done=lambda data: _("Incident changed; the reason is on the timeline."),
    )


urlpatterns: list[URLPattern] = [
    path("teams/", teams_page, name="teams"),
    path("teams/<int:team_id>/distribute/", team_distribute, name="team_distribute"),
    path("teams/duty/<int:user_id>/", duty_member, name="duty_member"),
    path("duty/", duty_own, name="duty"),
    path("complaints/<str:reference>/team/", complaint_change_team, name="change_team"),
    path("complaints/<str:reference>/incident/", complaint_change_incident, name="change_incident"),
]


def detail_context(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    """The complaint page's team box (the complaint's team and the form to move it: one query) and its incident
    box (the linked incident and the form to change it: one query)."""
    teams = selectors.teams_for_choice()
    incidents = selectors.incidents_for_choice(current_id=complaint.incident_id)
    incident_choices = _incident_choices(incidents)
    return {
        "team_choices": teams,
        "team_name": dict(teams).get(complaint.team_id, "") if complaint.team_id else "",
        "team_form": TeamChangeForm(teams=teams, initial={"team": complaint.team_id}),
        "incident_current": next((i for i in incidents if i.pk == complaint.incident_id), None),
        "incident_choices": incident_choices,
        "incident_form": IncidentChangeForm(incidents=incident_choices, initial={"incident": complaint.incident_id}),
        "incident_given": incident_given_to_customer(
            incident_id=complaint.incident_id, customer_id=complaint.customer_id
        ),
    }
