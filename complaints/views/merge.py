"""Merging a duplicate into another complaint and linking related complaints, on the staff complaint page.

The page (``staff._detail_page``) takes this module's ``detail_context``: the merge and link forms, the related
complaints, the complaint this one was merged into or the duplicates merged into it, and a timeline and letter
list that include the duplicates' (each marked with the duplicate's reference).
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints import selectors, services
from complaints.models import Complaint
from complaints.views.access import staff_required

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class MergeForm(forms.Form):
    into = forms.CharField(label=gettext_lazy("Merge into (reference number)"), max_length=20)
    note = forms.CharField(
        label=gettext_lazy("Why (staff only)"), max_length=2_000, required=False, widget=forms.Textarea
    )


class LinkForm(forms.Form):
    other = forms.CharField(label=gettext_lazy("Related complaint (reference number)"), max_length=20)


def _reference(value: str) -> str:
    return value.strip().upper()


@require_POST
@staff_required
def complaint_merge(request: HttpRequest, reference: str) -> HttpResponse:
    """Merge this complaint into the one named in the form; a refusal comes back with the message and the input."""
    from complaints.views import staff

    return staff._perform(
        request,
        reference,
        form=MergeForm(request.POST),
        form_name="merge_form",
        invalid=_("Enter the reference number of the complaint to merge into."),
        action=lambda complaint, actor, data: services.complaint_merge(
            duplicate=complaint, into=data["into"], actor=actor, note=data["note"]
        ),
        done=lambda data: (
            _("Merged into %(reference)s. The customer has been told by letter.")
            % {"reference": _reference(data["into"])}
        ),
    )


@require_POST
@staff_required
def complaint_link(request: HttpRequest, reference: str) -> HttpResponse:
    from complaints.views import staff

    return staff._perform(
        request,
        reference,
        form=LinkForm(request.POST),
        form_name="link_form",
        invalid=_("Enter the reference number of the related complaint."),
        action=lambda complaint, actor, data: services.complaint_link(
            complaint=complaint, other=data["other"], actor=actor
        ),
        done=lambda data: _("Linked with %(reference)s.") % {"reference": _reference(data["other"])},
    )


@require_POST
@staff_required
def complaint_unlink(request: HttpRequest, reference: str) -> HttpResponse:
    from complaints.views import staff

    return staff._perform(
        request,
        reference,
        form=LinkForm(request.POST),
        form_name="unlink_form",
        invalid=_("Choose the related complaint to unlink."),
        action=lambda complaint, actor, data: services.complaint_unlink(
            complaint=complaint, other=data["other"], actor=actor
        ),
        done=lambda data: _("No longer linked with %(reference)s.") % {"reference": _reference(data["other"])},
    )


urlpatterns: list[URLPattern] = [
    path("complaints/<str:reference>/merge/", complaint_merge, name="merge"),
    path("complaints/<str:reference>/links/", complaint_link, name="link"),
    path("complaints/<str:reference>/links/remove/", complaint_unlink, name="unlink"),
]


def detail_context(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    """The merge and link panel, and the timeline and letters with those of the duplicates merged into this one
    (each event and letter keeps its own ``complaint``, so the page can say "from RC-…")."""
    links = selectors.complaint_merge_links_for_staff(user=request.user, complaint=complaint)
    return {
        "merge_links": links,
        "events": selectors.complaint_timeline_for_staff(
            user=request.user, complaint=complaint, duplicates=links.duplicates
        ),
        "letters": selectors.complaint_letters_for_staff(
            user=request.user, complaint=complaint, duplicates=links.duplicates
        ),
        "merge_form": MergeForm(),
        "link_form": LinkForm(),
    }
