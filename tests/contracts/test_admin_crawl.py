"""Every link an official is shown in the admin opens: a crawl from the index through each
list and the change pages it reaches, as each demo official and as a superuser."""

import heapq
import re
from datetime import date
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model

from portfolio.demo_seed import demo_seed

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)
MAX_PAGES = 300
PER_LIST = 4
HREF = re.compile(r'href="([^"#]+)')
# Links that leave the crawl's scope: logging out, the language switch, files.
SKIP = re.compile(r"/logout/|/password_change/|/download/|/i18n/|\?_to_field=|/add/|/delete/")


def admin_links(page: str, base: str) -> list[str]:
    links = []
    for href in HREF.findall(page):
        url = urljoin(base, href.replace("&amp;", "&"))
        if urlsplit(url).path.startswith("/admin/") and not SKIP.search(url):
            links.append(url)
    return links


def crawl(client, start: str = "/admin/") -> dict[str, int]:
    """Each URL once, at most MAX_PAGES pages: lists and object pages first, then filtered
    lists; at most PER_LIST object pages and filter variants per list (the rest are the same
    pages with other rows). Returns URL → status."""
    seen, statuses, queue = {start}, {}, [(0, 0, start)]
    taken: dict[tuple, int] = {}
    order = 0
    while queue and len(statuses) < MAX_PAGES:
        *_, url = heapq.heappop(queue)
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in admin_links(response.content.decode(), url):
            if link in seen:
                continue
            parts = urlsplit(link)
            kind = 2 if parts.query else (1 if re.search(r"/\d+/", parts.path) else 0)
            segments = parts.path.rstrip("/").split("/")
            key = ("/".join(segments[:4]), kind, segments[-1])  # …/change, …/review, …/history
            if kind and taken.get(key, 0) >= PER_LIST:
                continue
            taken[key] = taken.get(key, 0) + 1
            seen.add(link)
            order += 1
            heapq.heappush(queue, (kind, order, link))
    return statuses


@pytest.mark.parametrize("username", ["gov_preparer", "gov_approver", "root"])
def test_no_link_an_official_is_shown_answers_403_or_500(client, username):
    demo_seed(today=TODAY)
    if username == "root":
        get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(get_user_model().objects.get(username=username))
    client.raise_request_exception = False  # a 500 is counted, not raised

    statuses = crawl(client)

    broken = {url: status for url, status in statuses.items() if status in (403, 500)}
    assert not broken, broken
    assert len(statuses) > 40  # the crawl reached the lists and their pages
    reached = " ".join(statuses)
    if username != "root":  # a superuser's budget goes to more apps (axes, knox, events…)
        assert "/review/" in reached and "/history/" in reached
