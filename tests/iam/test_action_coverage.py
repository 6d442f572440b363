"""Action coverage: every AWS operation a function made across the integration tests is allowed
by that function's execution role in the rendered template, and every action a role allows is
one its function makes (or is listed below with the reason it is needed anyway).

`make test` runs the cargo tests with ASTRO_CALL_LOG set: the emulator then appends one JSON line
per call it serves, naming the assumed role that signed it. The tests sign each function's calls
with a role named after its logical id in template.yaml (`integration::roles`), as Lambda signs
them with the function's execution role, so the log says which function made which call. The
template is rendered with every feature on (and UnknownRequests=reject), and action names are
compared: a call the policy does not allow fails with its name.
"""
from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "template"))

from cfn import Stack, actions_of, statements  # noqa: E402
from test_template import EVERYTHING  # noqa: E402

CUSTOMER = "222222222222"
FUNCTION_ROLES = {
    "PeeringRole": "peering",
    "TransitGatewayRole": "transit-gateway",
    "ZonesRole": "zones",
    "PeerRoleFunctionRole": "peer-role",
    "EndpointServicesRole": "endpoint-services",
}

# Allowed, and needed, although the function itself never calls them.
NEEDED_WITHOUT_A_CALL = {
    "logs:CreateLogStream": "Lambda writes the function's logs to its log group with the execution role.",
    "logs:PutLogEvents": "Lambda writes the function's logs to its log group with the execution role.",
    "sqs:SendMessage": "Lambda sends a failed asynchronous invocation to the dead-letter queue with the execution role.",
    ("PeerRoleFunctionRole", "iam:ListRolePolicies"): "The AWS::IAM::Role delete handler, run with the caller's credentials.",
    ("PeerRoleFunctionRole", "iam:ListAttachedRolePolicies"): "The AWS::IAM::Role delete handler, run with the caller's credentials.",
    ("PeerRoleFunctionRole", "iam:DeleteRolePolicy"): "The AWS::IAM::Role delete handler, run with the caller's credentials.",
    ("PeerRoleFunctionRole", "iam:DetachRolePolicy"): "The AWS::IAM::Role delete handler, run with the caller's credentials.",
    ("PeerRoleFunctionRole", "iam:DeleteRole"): "The AWS::IAM::Role delete handler, run with the caller's credentials.",
}


def _call_log() -> Path:
    path = os.environ.get("ASTRO_CALL_LOG")
    assert path, "ASTRO_CALL_LOG is not set: run `make test`, which records the calls of the cargo tests"
    log = Path(path)
    assert log.is_file() and log.stat().st_size > 0, f"{log} is empty: the cargo tests did not run with ASTRO_CALL_LOG"
    return log


@pytest.fixture(scope="module")
def calls() -> dict[str, set[str]]:
    """role -> the IAM actions of the calls signed with it, in the customer's account."""
    made: dict[str, set[str]] = defaultdict(set)
    for line in _call_log().read_text().splitlines():
        call = json.loads(line)
        if call.get("account") == CUSTOMER and call.get("role") in FUNCTION_ROLES:
            made[call["role"]].add(f"{call['service']}:{call['operation']}")
    return made


@pytest.fixture(scope="module")
def allowed() -> dict[str, set[str]]:
    stack = Stack({**EVERYTHING, "UnknownRequests": "reject"})
    out = {}
    for role in FUNCTION_ROLES:
        (policy,) = stack.properties(role)["Policies"]
        out[role] = {a for s in statements(policy["PolicyDocument"]) if s["Effect"] == "Allow"
                     for a in actions_of(s)}
    return out


def test_every_function_was_exercised(calls):
    silent = [f"{FUNCTION_ROLES[r]} ({r})" for r in FUNCTION_ROLES if not calls.get(r)]
    assert not silent, f"no call recorded for {silent}: the integration tests must sign with the function roles"


@pytest.mark.parametrize("role", sorted(FUNCTION_ROLES))
def test_every_call_is_allowed_by_the_function_role(role, calls, allowed):
    missing = sorted(calls.get(role, set()) - allowed[role])
    assert not missing, f"{FUNCTION_ROLES[role]} calls what {role} does not allow: {missing}"


@pytest.mark.parametrize("role", sorted(FUNCTION_ROLES))
def test_every_allowed_action_is_used(role, calls, allowed):
    unused = sorted(
        a for a in allowed[role] - calls.get(role, set())
        if a not in NEEDED_WITHOUT_A_CALL and (role, a) not in NEEDED_WITHOUT_A_CALL)
    assert not unused, f"{role} allows what {FUNCTION_ROLES[role]} never calls: {unused}"


def test_every_reason_still_applies(allowed, calls):
    """An action listed as needed without a call is allowed, and really is never called."""
    for key, reason in NEEDED_WITHOUT_A_CALL.items():
        assert len(reason) > 30, key
        role, action = key if isinstance(key, tuple) else (None, key)
        roles = [role] if role else list(FUNCTION_ROLES)
        assert any(action in allowed[r] for r in roles), f"{key} is listed but no role allows it"
        called = [r for r in roles if action in calls.get(r, set())]
        assert not called, f"{key} is listed as never called, but {called} call it"
