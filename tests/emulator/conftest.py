"""Fixtures of the emulator tests: ``endpoint``, ``reset_moto`` (autouse) and
``account_client``, defined in emulator_fixtures.py (shared with tests/deploy)."""
from emulator_fixtures import account_client, endpoint, reset_moto  # noqa: F401
