"""The portal before a period ends: figures can be saved as drafts, the submit button is
disabled and says from which day the period can be submitted (the workflow table's rule)."""

import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from contracts.models import Contract, Period
from portfolio.demo_seed import demo_seed
from tests.browser.pages import screenshot, site_login


def test_a_period_not_ended_yet_cannot_be_submitted_in_the_portal(
    transactional_db, live_server, new_page, settings
):
    # given the demo, with enterprise_a's next open period ending in a week
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="portal-window-"))
    demo_seed(today=date(2026, 11, 23))
    contract = Contract.objects.get(code__startswith="CS-WIFI")
    period = contract.periods.filter(state=Period.State.OPEN).order_by("starts_on").first()
    ends_on = timezone.localdate() + timedelta(days=7)
    Period.objects.filter(pk=period.pk).update(ends_on=ends_on, due_on=ends_on + timedelta(15))
    try:
        # when enterprise_a opens it
        page = new_page()
        site_login(page, "enterprise_a", lands_on="我的合同")
        page.goto(f"/portal/periods/{period.pk}/")
        # then saving is offered, submitting is not, and the page says when it will be
        expect(page.locator("button[name=save]")).to_be_enabled()
        expect(page.locator("button[name=submit]")).to_be_disabled()
        expect(page.locator("#submit-refused")).to_contain_text("起方可提交")
        page.locator(".form-actions").scroll_into_view_if_needed()
        screenshot(page, "portal-period-not-ended.png")
    finally:
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
