"""Deploying the product's templates into the emulator: the fixtures of tests/emulator
(``endpoint``, ``reset_moto`` autouse, ``account_client``, from emulator_fixtures.py), and
import paths for tools/templates.py (``from tools import templates``) and tests/template/cfn.py
(``import cfn``: which resources a parameter set declares)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for path in (os.path.join(REPO, "tests", "emulator"), os.path.join(REPO, "tests", "template"), REPO):
    if path not in sys.path:
        sys.path.insert(0, path)

from emulator_fixtures import account_client, endpoint, reset_moto  # noqa: E402,F401
