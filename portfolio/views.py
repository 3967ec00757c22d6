"""Site pages outside the admin and the API: the start page sends each role to its own place."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    """Enterprise staff work in the portal, officials in the admin, auditors on the dashboard."""
    user = request.user
    if user.role == user.Role.ENTERPRISE:
        return redirect("portal:home")
    if user.role == user.Role.AUDITOR:
        return redirect("dashboard:index")
    return redirect("admin:index")
