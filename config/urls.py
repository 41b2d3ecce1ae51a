from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, register_converter
from django.views import defaults
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.api import ReferenceConverter, api_not_found

register_converter(ReferenceConverter, "reference")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON under /api/ (as the endpoints' own 404), the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


handler404 = not_found

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="complaints:new", permanent=False), name="home"),
    path("", include("complaints.urls")),
    path("privacy/", TemplateView.as_view(template_name="complaints/privacy.html"), name="privacy"),
    path("dashboard/", include("complaints.dashboard_urls")),
    # Unmatched mail, the operations page and the promise health page.
    path("dashboard/", include("notifications.urls")),
    path("dashboard/incidents/", include("compensation.dashboard_urls")),
    path("reports/", include("complaints.reports.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("complaints.api_urls")),
    path("api/v1/", include("compensation.api_urls")),
    path("api/v1/", include("customers.api_urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("api/v1/", include("complaints.reports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
