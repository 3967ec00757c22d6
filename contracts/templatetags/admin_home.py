"""The official's home in the admin: what waits for them, counted, each with its list."""

from django import template
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.admin_base import COUNT_CAP, is_official
from contracts.admin_selectors import official_home_counts

register = template.Library()

# (count key, label, list, query that opens the list on those rows)
HOME_LINKS = [
    ("to_review", _("Measurements to review"), "measurement", "review=waiting"),
    (
        "to_prepare",
        _("Payments to prepare"),
        "paymentcalculation",
        "awaiting=all&state__exact=computed",
    ),
    ("to_approve", _("Payments to approve (prepared by someone else)"), "paymentcalculation", None),
    ("adjustments", _("Adjustments to approve"), "paymentadjustment", "state__exact=proposed"),
    ("overdue", _("Overdue periods"), "period", "overdue=yes"),
    ("returned", _("Returned items not yet resubmitted"), "measurement", "review=returned"),
    ("objections", _("Open objections"), "objection", "state__exact=open"),
    (
        "notices_to_verify",
        _("Rectification answers to verify"),
        "rectificationnotice",
        "awaiting=me",
    ),
    (
        "notices_overdue",
        _("Overdue rectification notices"),
        "rectificationnotice",
        "awaiting=overdue",
    ),
    ("monitoring_alerts", _("Contracts with monitoring alerts"), "contract", "monitoring=alerts"),
]


@register.inclusion_tag("admin/contracts/_home_counts.html", takes_context=True)
def official_home(context):
    user = context["request"].user
    if not is_official(user):
        return {"items": []}
    counts = official_home_counts(user=user, today=timezone.localdate())
    items = []
    for key, label, model, query in HOME_LINKS:
        if query is None:  # the approver's queue is "awaiting my action"
            query = (
                "awaiting=me" if user.role == "approver" else "awaiting=all&state__exact=prepared"
            )
        url = reverse(f"admin:contracts_{model}_changelist") + "?" + query
        items.append({"key": key, "label": label, "count": counts[key], "url": url})
    return {"items": items}


@register.filter
def person(user) -> str:
    """A user as officials read them: the full name, else the user name ("—" for nobody)."""
    return (user.get_full_name() or user.username) if user else "—"


@register.simple_tag
def pghistory_pages() -> bool:
    """pghistory's Events pages read PostgreSQL's JSON operators: on SQLite they are not
    registered (contracts/admin.py) and not linked."""
    return connection.vendor == "postgresql"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, [])


@register.filter
def count_text(count: int | None) -> str:
    """A capped count (contracts.admin_base.capped_count) as people read it; None: not
    counted yet (a worker is computing it)."""
    if count is None:
        return "…"
    if count > COUNT_CAP:
        return _("more than %(cap)s") % {"cap": f"{COUNT_CAP:,}"}
    return f"{count:,}"
