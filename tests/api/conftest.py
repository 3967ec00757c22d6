"""API clients for the people around an imported example contract."""

import pytest
from rest_framework.test import APIClient

from tests.contracts.conftest import people  # noqa: F401 — the same cast as the contracts tests


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated as that user (None: anonymous)."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for
