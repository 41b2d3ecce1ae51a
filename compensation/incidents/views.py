"""The incident pages of the dashboard: the list (and declaring one), an incident's page (its timeline, the
progress of apologising, its cost, the linked complaints), and the forms that change it. Thin: the forms check
the shape, ``compensation.incidents.services`` decides, ``selectors`` read."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from compensation.incidents import selectors, services
from compensation.incidents.forms import CompensateForm, IncidentForm, incident_fields
from compensation.models import Incident, RunStatus
from compensation.permissions import can_compensate_incidents, can_manage_incidents, can_view_incidents
from complaints.permissions import staff_user
from complaints.views.access import role_required
from config.exceptions import ApplicationError

incidents_required = role_required(can_view_incidents)
manage_required = role_required(can_manage_incidents)
compensate_required = role_required(can_compensate_incidents)

LIST_LIMIT = 100


def _form_error(form: forms.Form, error: ApplicationError) -> None:
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, str(error.message))


@require_GET
@incidents_required
def incident_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


def _list_page(request: HttpRequest, declare_form: IncidentForm | None = None) -> HttpResponse:
    incidents = list(selectors.incident_list()[:LIST_LIMIT])
    costs = selectors.incident_costs_by_incident(incident_ids=[i.pk for i in incidents])
    rows = [(incident, costs[incident.pk]) for incident in incidents]
    context = {
        "rows": rows,
        "can_manage": can_manage_incidents(request.user),
        "declare_form": declare_form or IncidentForm(),
    }
    return render(request, "compensation/incident_list.html", context, status=400 if declare_form else 200)


@require_POST
@manage_required
def incident_declare(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_declare(actor=staff_user(request.user), **incident_fields(data))
        except ApplicationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Incident declared."))
            return redirect("incidents:detail", pk=incident.pk)
    return _list_page(request, declare_form=form)


def _incident_or_404(pk: int) -> Incident:
    incident = selectors.incident_get(pk=pk)
    if incident is None:
        raise Http404
    return incident


def _detail(request: HttpRequest, pk: int, *, status: int = 200, **forms_: forms.Form) -> HttpResponse:
    incident = _incident_or_404(pk)
    run = selectors.incident_run_latest(incident_id=incident.pk)
    running = run is not None and run.status == RunStatus.RUNNING
    update_form = forms_.get("update_form") or IncidentForm(
        initial={
            "title": incident.title,
            "public_description": incident.public_description,
            "products": [p.pk for p in incident.products.all()],
            "severity": incident.severity,
            "started_at": incident.started_at,
            "ended_at": incident.ended_at,
        }
    )
    context: dict[str, Any] = {
        "incident": incident,
        "events": selectors.incident_events(incident_id=incident.pk),
        "run": run,
        "running": running,
        "costs": selectors.incident_costs(incident_id=incident.pk),
        "complaints": selectors.incident_complaints(incident_id=incident.pk),
        "can_manage": can_manage_incidents(request.user),
        "can_compensate": can_compensate_incidents(request.user),
        "update_form": update_form,
        "compensate_form": forms_.get("compensate_form") or CompensateForm(),
    }
    if request.GET.get("partial"):
        return render(request, "compensation/incident_detail.html#progress", context)
    return render(request, "compensation/incident_detail.html", context, status=status)


@require_GET
@incidents_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@require_POST
@manage_required
def incident_update(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(pk)
    form = IncidentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_update(incident=incident, actor=staff_user(request.user), **incident_fields(data))
        except ApplicationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Incident updated."))
            return redirect("incidents:detail", pk=incident.pk)
    return _detail(request, pk, status=400, update_form=form)


@require_POST
@compensate_required
def incident_compensate(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(pk)
    form = CompensateForm(request.POST)
    if form.is_valid():
        try:
            services.incident_compensate(incident=incident, actor=staff_user(request.user))
        except ApplicationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Apologising to the affected customers: the progress is shown below."))
            return redirect("incidents:detail", pk=incident.pk)
    return _detail(request, pk, status=400, compensate_form=form)
