"""Run as a script by test_bounds.py: renders the dashboard and a city's portfolio report under
a 500 MB limit of the memory the process allocates (RLIMIT_DATA: heap and private mappings;
not the address space, which the mapped CJK fonts and libraries fill close to 500 MB by
themselves), on the test database the test committed to. Prints one line per page
rendered; a MemoryError (or any error) exits non-zero with the traceback."""

import os
import resource
import sys

LIMIT_BYTES = 500 * 1024 * 1024


def main(username: str, city_id: int, year: int) -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (LIMIT_BYTES, LIMIT_BYTES))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.test")
    import django

    django.setup()
    from django.test import Client

    from portfolio.models import City, User
    from reports.models import Report
    from reports.services import report_render, report_request

    client = Client()
    client.force_login(User.objects.get(username=username))
    page = client.get("/portfolio/")
    print("dashboard", page.status_code, len(page.content), flush=True)
    report, _ = report_request(city=City.objects.get(pk=city_id), year=year)
    report = report_render(report_id=report.pk)
    print("report", report.state, report.size, report.error, flush=True)
    assert report.state == Report.State.READY, report.error


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
