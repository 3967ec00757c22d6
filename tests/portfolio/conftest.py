"""The portfolio tests share the contracts tests' cast around cn-steps."""

from tests.contracts.conftest import people  # noqa: F401
