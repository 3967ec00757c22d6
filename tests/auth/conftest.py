"""The people of the contracts tests, and TOTP codes as an authenticator app computes them."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.contracts.conftest import people  # noqa: F401 — the contracts tests' cast


def totp_code(device: TOTPDevice) -> str:
    """The code the app shows now for this device's secret."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def two_factor_on(settings):
    settings.OFFICIALS_REQUIRE_2FA = True
