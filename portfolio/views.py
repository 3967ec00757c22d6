"""Site pages outside the admin and the API: the start page sends each role to its own place."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found


@login_required
def home(request):
    """Enterprise staff work in the portal, officials in the admin, auditors on the dashboard."""
    user = request.user
    if user.role == user.Role.ENTERPRISE:
        return redirect("portal:home")
    if user.role == user.Role.AUDITOR:
        return redirect("dashboard:index")
    return redirect("admin:index")


def not_found(request, exception=None):
    """A page that does not exist: under /api/ a JSON body as the schema documents (an id
    that matches no route, e.g. `/api/v1/cities/1.5/`), elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)
