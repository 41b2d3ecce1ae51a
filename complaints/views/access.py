"""Who may open which dashboard page: sign in first (a redirect to the login page), then 403 for anyone the
role's check (``complaints.permissions``) refuses. The selectors and services check again; this keeps a
refused person from even reaching them."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from complaints.permissions import UserLike, can_lead_team, can_view_complaints, can_view_reports

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def role_required(check: Callable[[UserLike], bool]) -> Callable[[View], View]:
    """A view decorator: signed in, and ``check(user)`` holds."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return cast(View, wrapper)

    return decorator


# Support staff (agents, team leads, managers); team leads and managers; managers.
staff_required = role_required(can_view_complaints)
leads_required = role_required(can_lead_team)
reports_required = role_required(can_view_reports)
