"""Offline IAM audit: every policy the template renders, checked with parliament.

The template is rendered with every feature on (and with UnknownRequests=reject, so the reject
statements exist too). Each role's inline policy is made concrete: references to the stack's
own resources become the identifiers AWS would give them, so parliament sees real ARNs.
parliament reports unknown actions, ARNs that do not match the resource types an action
authorizes, condition keys that do not apply to an action, and condition operators whose type
does not match the key. Findings that must stay are listed, with a reason, in
iam_allowlist.yaml; an allowlist entry that no longer matches a finding fails too.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import parliament
import pytest
import yaml

from cfn import ACCOUNT, REGION, STACK_NAME, Stack, statements
from test_template import EVERYTHING

ALLOWLIST = Path(__file__).with_name("iam_allowlist.yaml")

# What AWS returns for Ref / Fn::GetAtt of the stack's own resources, by resource type.
PHYSICAL = {
    ("AWS::Logs::LogGroup", "Arn"): lambda lid, props: (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{props['LogGroupName']}:*"),
    ("AWS::SQS::Queue", "Arn"): lambda lid, props: f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK_NAME}-{lid}-1A2B3C4D5E6F",
    ("AWS::Route53::HostedZone", "Ref"): lambda lid, props: "Z0REMOTEEXECUTION0001",
    ("AWS::IAM::Role", "Arn"): lambda lid, props: f"arn:aws:iam::{ACCOUNT}:role/{STACK_NAME}-{lid}-1A2B3C4D5E6F",
}


def concrete(stack: Stack, node):
    """`node` with every <Ref:X> / <GetAtt:X.Attr> placeholder replaced by X's physical value."""
    text = json.dumps(node)

    def physical(m: re.Match) -> str:
        kind, target = m.group(1), m.group(2)
        lid, attr = (target, "Ref") if kind == "Ref" else target.split(".", 1)
        res = stack.resources()[lid]
        make = PHYSICAL.get((res["Type"], attr))
        assert make, f"no physical value for {kind} {target} ({res['Type']})"
        return make(lid, stack.properties(lid))

    return json.loads(re.sub(r"<(Ref|GetAtt):([A-Za-z0-9.]+)>", physical, text))


def identity_policies(stack: Stack) -> dict[str, dict]:
    """(role logical id -> its inline policy document), concrete."""
    out = {}
    for lid, res in stack.resources().items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        (policy,) = stack.properties(lid)["Policies"]
        out[lid] = concrete(stack, policy["PolicyDocument"])
    return out


def findings(role: str, document: dict) -> list[dict]:
    """parliament's findings on one policy, one entry per (statement, finding, action or ARN
    named). Each statement is analyzed as a policy of its own, so a finding names its Sid."""
    out = []
    for statement in statements(document):
        single = {"Version": document.get("Version", "2012-10-17"), "Statement": [statement]}
        for f in parliament.analyze_policy_string(json.dumps(single)).findings:
            f = parliament.enhance_finding(f)
            base = {"role": role, "sid": statement.get("Sid"), "issue": f.issue, "severity": f.severity}
            for d in f.detail if isinstance(f.detail, list) else [f.detail]:
                entry = dict(base, detail=d)
                if isinstance(d, dict) and "action" in d:
                    entry["action"] = d["action"]
                if f.issue == "INVALID_ARN":
                    entry["arn"] = f.location.get("string")
                out.append(entry)
    return out


def _matches(entry: dict, finding: dict) -> bool:
    return all(finding.get(k) == v for k, v in entry.items() if k != "reason")


@pytest.fixture(scope="module")
def rendered():
    return identity_policies(Stack({**EVERYTHING, "UnknownRequests": "reject"}))


def test_every_role_is_audited(rendered):
    assert set(rendered) == {
        "PeeringRole", "TransitGatewayRole", "ZonesRole", "PeerRole", "PeerRoleFunctionRole",
        "EndpointServicesRole"}
    for role, doc in rendered.items():
        assert "<" not in json.dumps(doc), f"{role}: unresolved reference left in the policy"


def test_parliament_finds_nothing_outside_the_allowlist(rendered):
    allow = yaml.safe_load(ALLOWLIST.read_text())
    for entry in allow:
        assert len(entry.get("reason", "")) > 40, f"allowlist entry needs a written reason: {entry}"
    left, used = [], set()
    for role, doc in rendered.items():
        for f in findings(role, doc):
            hits = [i for i, e in enumerate(allow) if _matches(e, f)]
            if hits:
                used.update(hits)
            else:
                left.append(f)
    assert not left, "parliament findings:\n" + "\n".join(json.dumps(f, default=str) for f in left)
    stale = [allow[i] for i in range(len(allow)) if i not in used]
    assert not stale, f"allowlist entries that match no finding any more: {stale}"


def test_parliament_catches_what_it_is_trusted_to_catch():
    """The audit is only as good as parliament's checks: pin that each one fires."""
    def issues(statement):
        doc = {"Version": "2012-10-17", "Statement": [statement]}
        return {f["issue"] for f in findings("probe", doc)}

    assert "UNKNOWN_ACTION" in issues({"Effect": "Allow", "Action": "ec2:AcceptPeering", "Resource": "*"})
    assert "RESOURCE_MISMATCH" in issues({
        "Effect": "Allow", "Action": "ec2:CreateRoute",
        "Resource": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-peering-connection/*"})
    assert "UNKNOWN_CONDITION_FOR_ACTION" in issues({
        "Effect": "Allow", "Action": "route53:GetHostedZone",
        "Resource": "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
        "Condition": {"ArnLike": {"ec2:AccepterVpc": "arn:aws:ec2:*:*:vpc/vpc-0123456789abcdef0"}}})
    assert any(i.startswith("MISMATCHED_TYPE") for i in issues({
        "Effect": "Allow", "Action": "ec2:CreateRoute",
        "Resource": f"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/*",
        "Condition": {"DateLessThan": {"ec2:Vpc": "arn:aws:ec2:*:*:vpc/vpc-0123456789abcdef0"}}}))
