"""Checks of template.yaml without AWS: lint, SAM transform, conditions, env contract, IAM shape.

Run: python3 -m pytest -q tests/template
Optional, when the tools live in their own venvs (see requirements.txt):
  ASTRO_SAM_CLI=/path/to/sam       also runs `sam validate --lint`
  ASTRO_CHECKOV=/path/to/checkov   also runs checkov on the template
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from cfn import (
    ACCOUNT,
    REGION,
    REPO,
    STACK_NAME,
    TEMPLATE,
    Stack,
    actions_of,
    load_sam,
    refs_in,
    resources_of,
    screaming_snake,
    statements,
    transform,
)

# --------------------------------------------------------------------------------------------
# Parameter sets
# --------------------------------------------------------------------------------------------
TGW = {
    "TransitGatewayId": "tgw-0123456789abcdef0",
    "TransitGatewayRouteTableId": "tgw-rtb-0123456789abcdef0",
    "TgwSpokeVpcIds": "vpc-0aaaaaaaaaaaaaaa1,vpc-0aaaaaaaaaaaaaaa2",
}
ENDPOINT = {
    "AstroEndpointServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
    "RemoteExecutionVpcId": "vpc-0bbbbbbbbbbbbbbb1",
    "RemoteExecutionSubnetIds": "subnet-0ccccccccccccccc1,subnet-0ccccccccccccccc2",
    "RemoteExecutionVpcCidr": "10.20.0.0/16",
}
PEER_ROLE = {
    "CreatePeerRole": "true",
    "PeerOwnerIds": "333333333333,444444444444",
    "PeerRoleExternalId": "astro-org-external-id",
    "PeerRoleExpiresAt": "2030-01-31T00:00:00Z",
}
ZONES = {"PrivateHostedZoneIds": "Z0123456789ABCDEFGHIJ,Z0AAAAAAAAAAAAAAAAAAA"}
ENDPOINT_SERVICES = {"EndpointServiceIds": "vpce-svc-0123456789abcdef0,vpce-svc-0fedcba9876543210"}
ASSOCIATIONS = {"ZoneVpcAssociations": "Z0123456789ABCDEFGHIJ:vpc-0ddddddddddddddd1,vpc-0ddddddddddddddd2"}
EVERYTHING = {
    **TGW, **ENDPOINT, **PEER_ROLE, **ZONES, **ASSOCIATIONS, **ENDPOINT_SERVICES,
    "AstroVpcIds": "vpc-0eeeeeeeeeeeeeee1",
    "ResolverRuleIds": "rslvr-rr-0123456789abcdef0,rslvr-rr-0123456789abcdef1",
    "UnknownRequests": "reject",
    "AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alarms",
    "AstroVpcCidrs": "vpc-0eeeeeeeeeeeeeee1:10.100.0.0/16",
    "AstroExternalIps": "203.0.113.7,198.51.100.0/28",
}

ALWAYS = {
    "DeadLetterQueue", "DeadLetterQueuePolicy", "DeadLetterQueueDepthAlarm", "Dashboard",
    "HandshakeHistoryQuery", "WritesQuery", "RefusalsQuery", "OpenFindingsQuery",
    "PeeringFunction", "PeeringRole", "PeeringLogGroup", "PeeringFunctionCloudTrail", "PeeringFunctionSweep",
    "PeerRoleFunction", "PeerRoleFunctionRole", "PeerRoleLogGroup", "PeerRoleFunctionCloudTrail",
    "PeerRoleFunctionSweep",
}
TGW_RESOURCES = {
    "TransitGatewayFunction", "TransitGatewayRole", "TransitGatewayLogGroup", "TransitGatewayShare",
    "TransitGatewayFunctionCloudTrail", "TransitGatewayFunctionSweep", "TransitGatewayFunctionErrorsAlarm",
    "TransitGatewayIgnoredAlarm", "TransitGatewayConflictsAlarm", "TransitGatewayFailuresAlarm",
}
ZONES_RESOURCES = {
    "ZonesFunction", "ZonesRole", "ZonesLogGroup", "ZonesFunctionSweep", "ZonesFunctionErrorsAlarm",
    "ZonesIgnoredAlarm", "ZonesConflictsAlarm", "ZonesFailuresAlarm",
}
ENDPOINT_SERVICES_RESOURCES = {
    "EndpointServicesFunction", "EndpointServicesRole", "EndpointServicesLogGroup",
    "EndpointServicesFunctionCloudTrail", "EndpointServicesFunctionSweep", "EndpointServicesFunctionErrorsAlarm",
    "EndpointServicesIgnoredAlarm", "EndpointServicesConflictsAlarm", "EndpointServicesFailuresAlarm",
}
ENDPOINT_RESOURCES = {
    "RemoteExecutionSecurityGroup", "RemoteExecutionEndpoint", "RemoteExecutionZone",
    "RemoteExecutionApexRecord", "RemoteExecutionWildcardRecord",
}

FUNCTIONS = {
    # logical id: (binary, handshake dimension, timeout)
    "PeeringFunction": ("peering", "vpc-peering", 120),
    "TransitGatewayFunction": ("transit-gateway", "transit-gateway", 120),
    "ZonesFunction": ("zones", "zones", 120),
    "PeerRoleFunction": ("peer-role", "peer-role", 60),
    "EndpointServicesFunction": ("endpoint-services", "endpoint-services", 120),
}

# The environment contract with the Rust side: name -> parameter it carries, or a special value.
SPECIAL = object()
ENV_CONTRACT = {
    "PeeringFunction": [
        "AstroAccountIds", "AstroCidrs", "AccepterVpcIds", "RouteTableSelector",
        "EnableAccepterDnsResolution", "UnknownRequests", "DryRun", "METRICS_NAMESPACE",
    ],
    "TransitGatewayFunction": [
        "AstroAccountIds", "AstroCidrs", "AstroVpcIds", "AstroVpcCidrs", "TransitGatewayId", "TransitGatewayRouteTableId",
        "TgwSpokeVpcIds", "RouteTableSelector", "UnknownRequests", "DryRun", "METRICS_NAMESPACE",
        "RESOURCE_SHARE_ARN", "RESOLVER_RULE_SHARE_ARN",
    ],
    "ZonesFunction": [
        "AstroAccountIds", "AstroCidrs", "AccepterVpcIds", "AstroVpcIds", "TransitGatewayId",
        "PrivateHostedZoneIds", "ZoneVpcAssociations", "REMOTE_EXECUTION_ZONE_ID", "DryRun", "METRICS_NAMESPACE",
    ],
    "PeerRoleFunction": [
        "STACK_NAME", "PeerRoleExpiresAt", "PeerOwnerIds", "AccepterVpcIds",
        "DryRun", "METRICS_NAMESPACE",
    ],
    "EndpointServicesFunction": [
        "AstroAccountIds", "AstroCidrs", "EndpointServiceIds", "UnknownRequests", "PARTITION",
        "DryRun", "METRICS_NAMESPACE",
    ],
}
SPECIAL_VALUES = {
    "METRICS_NAMESPACE": "AstroHandshake",
    "STACK_NAME": {"Ref": "AWS::StackName"},
    "RESOURCE_SHARE_ARN": {"Ref": "TransitGatewayShare"},
    "RESOLVER_RULE_SHARE_ARN": {"Fn::If": ["HasResolverRules", {"Ref": "ResolverRuleShare"}, ""]},
    "REMOTE_EXECUTION_ZONE_ID": {"Fn::If": ["HasEndpointService", {"Ref": "RemoteExecutionZone"}, ""]},
    "PARTITION": {"Ref": "AWS::Partition"},
}

READ_ONLY = re.compile(r"^(ec2:(Describe|Get|Search)|ram:Get|route53:(Get|List)|cloudformation:Describe)")


def policy_of_role(stack: Stack, role_id: str) -> dict:
    props = stack.properties(role_id)
    assert "ManagedPolicyArns" not in props, f"{role_id} has managed policies"
    policies = props.get("Policies", [])
    assert len(policies) == 1, f"{role_id} must have exactly one inline policy"
    return policies[0]["PolicyDocument"]


def by_sid(doc: dict) -> dict:
    return {s["Sid"]: s for s in statements(doc)}


# --------------------------------------------------------------------------------------------
# Linters
# --------------------------------------------------------------------------------------------
def test_cfn_lint_has_no_errors():
    exe = shutil.which("cfn-lint")
    cmd = [exe] if exe else [sys.executable, "-m", "cfnlint"]
    proc = subprocess.run([*cmd, str(TEMPLATE)], capture_output=True, text=True, cwd=REPO)
    # cfn-lint exit code is a bit mask: 2 = error, 4 = warning, 8 = informational; 1/32 = fatal.
    assert proc.returncode & (1 | 2 | 32) == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not os.environ.get("ASTRO_SAM_CLI"), reason="set ASTRO_SAM_CLI to a sam binary")
def test_sam_validate_lint():
    proc = subprocess.run(
        [os.environ["ASTRO_SAM_CLI"], "validate", "--lint", "--region", REGION, "-t", str(TEMPLATE)],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not os.environ.get("ASTRO_CHECKOV"), reason="set ASTRO_CHECKOV to a checkov binary")
def test_checkov():
    proc = subprocess.run(
        [os.environ["ASTRO_CHECKOV"], "-f", str(TEMPLATE), "--framework", "cloudformation",
         "--skip-download", "--compact", "--quiet"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_checkov_skip_has_a_reason():
    for lid, res in load_sam()["Resources"].items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (lid, skip)
            assert len(skip.get("comment", "")) > 20, f"{lid}: skip {skip['id']} needs a reason"


# --------------------------------------------------------------------------------------------
# Which resources exist for which parameters
# --------------------------------------------------------------------------------------------
def test_transform_produces_plain_cloudformation():
    t = transform()
    types = {r["Type"] for r in t["Resources"].values()}
    assert not any(ty.startswith("AWS::Serverless::") for ty in types)
    assert "Transform" not in t


@pytest.mark.parametrize(
    "overrides, present, absent",
    [
        ({}, ALWAYS, TGW_RESOURCES | ZONES_RESOURCES | ENDPOINT_RESOURCES | ENDPOINT_SERVICES_RESOURCES
         | {"PeerRole", "ResolverRuleShare"}),
        (TGW, ALWAYS | TGW_RESOURCES, ZONES_RESOURCES | ENDPOINT_RESOURCES | {"PeerRole"}),
        ({"TransitGatewayId": "tgw-0123456789abcdef0"}, ALWAYS | TGW_RESOURCES, ZONES_RESOURCES),
        (ZONES, ALWAYS | ZONES_RESOURCES, TGW_RESOURCES | ENDPOINT_RESOURCES),
        (ASSOCIATIONS, ALWAYS | ZONES_RESOURCES, TGW_RESOURCES | ENDPOINT_RESOURCES),
        (ENDPOINT, ALWAYS | ZONES_RESOURCES | ENDPOINT_RESOURCES, TGW_RESOURCES | {"PeerRole"}),
        (PEER_ROLE, ALWAYS | {"PeerRole"}, TGW_RESOURCES | ZONES_RESOURCES | ENDPOINT_RESOURCES),
        ({"ResolverRuleIds": "rslvr-rr-0123456789abcdef0"}, ALWAYS | {"ResolverRuleShare"}, TGW_RESOURCES),
        (ENDPOINT_SERVICES, ALWAYS | ENDPOINT_SERVICES_RESOURCES,
         TGW_RESOURCES | ZONES_RESOURCES | ENDPOINT_RESOURCES | {"PeerRole"}),
        (EVERYTHING, ALWAYS | TGW_RESOURCES | ZONES_RESOURCES | ENDPOINT_RESOURCES | ENDPOINT_SERVICES_RESOURCES
         | {"PeerRole", "ResolverRuleShare"}, set()),
    ],
    ids=["defaults", "tgw", "tgw-minimal", "zones", "associations", "endpoint", "peer-role", "resolver",
         "endpoint-services", "everything"],
)
def test_resources_by_condition(overrides, present, absent):
    existing = set(Stack(overrides).resources())
    assert present <= existing, f"missing: {sorted(present - existing)}"
    assert not (absent & existing), f"unexpected: {sorted(absent & existing)}"


@pytest.mark.parametrize("overrides", [{}, EVERYTHING], ids=["defaults", "everything"])
def test_flipping_create_peer_role_changes_only_the_role(overrides):
    off = Stack({**overrides, **PEER_ROLE, "CreatePeerRole": "false"})
    on = Stack({**overrides, **PEER_ROLE, "CreatePeerRole": "true"})
    assert set(on.resources()) - set(off.resources()) == {"PeerRole"}
    assert set(off.resources()) <= set(on.resources())
    for lid in off.resources():
        assert on.properties(lid) == off.properties(lid), f"{lid} depends on CreatePeerRole"
    assert set(on.outputs()) - set(off.outputs()) == {"PeerRoleArn"}


def test_outputs_by_condition():
    assert {"PeerRoleArn", "TransitGatewayShareArn", "ResolverRuleShareArn", "RemoteExecutionEndpointId",
            "RemoteExecutionZoneId"}.isdisjoint(Stack().outputs())
    assert {"PeerRoleArn", "TransitGatewayShareArn", "ResolverRuleShareArn", "RemoteExecutionEndpointId",
            "RemoteExecutionZoneId"} <= set(Stack(EVERYTHING).outputs())


# --------------------------------------------------------------------------------------------
# Function conventions and the environment contract
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_function_conventions(function_id):
    binary, _, timeout = FUNCTIONS[function_id]
    sam = load_sam()["Resources"][function_id]
    assert sam["Properties"]["CodeUri"] == "."
    assert sam["Metadata"]["BuildMethod"] == "rust-cargolambda"
    assert sam["Metadata"]["BuildProperties"]["Binary"] == binary

    stack = Stack(EVERYTHING)
    fn = stack.template["Resources"][function_id]["Properties"]
    assert fn["Runtime"] == "provided.al2023"
    assert fn["Architectures"] == ["arm64"]
    assert fn["Handler"] == "bootstrap"
    assert fn["MemorySize"] == 256
    assert fn["Timeout"] == timeout
    # No reservation unless asked for: AWS keeps 100 executions unreserved, so a reservation
    # fails to deploy on a low-quota account.
    assert "ReservedConcurrentExecutions" not in stack.properties(function_id)
    assert Stack({**EVERYTHING, "ReservedConcurrency": "3"}).properties(function_id)[
        "ReservedConcurrentExecutions"] == "3"
    assert fn["DeadLetterConfig"]["TargetArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    assert fn["LoggingConfig"]["LogFormat"] == "JSON"
    log_group = fn["LoggingConfig"]["LogGroup"]["Ref"]
    lg = stack.template["Resources"][log_group]
    assert lg["Type"] == "AWS::Logs::LogGroup"
    assert lg["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert lg.get("Condition") == stack.template["Resources"][function_id].get("Condition")

    role_id = fn["Role"]["Fn::GetAtt"][0]
    doc = policy_of_role(stack, role_id)
    logs = [s for s in statements(doc) if any(a.startswith("logs:") for a in actions_of(s))]
    assert len(logs) == 1 and sorted(actions_of(logs[0])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert resources_of(logs[0]) == [f"<GetAtt:{log_group}.Arn>"]

    invoke = stack.template["Resources"][f"{function_id}EventInvokeConfig"]["Properties"]
    assert invoke["MaximumRetryAttempts"] <= 2


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_environment_contract(function_id):
    env = transform()["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    expected = {e if e.isupper() else screaming_snake(e): e for e in ENV_CONTRACT[function_id]}
    assert set(env) == set(expected), f"{function_id}: {sorted(set(env) ^ set(expected))}"
    for name, source in expected.items():
        if name in SPECIAL_VALUES:
            assert env[name] == SPECIAL_VALUES[name], name
        else:
            assert env[name] == {"Ref": source}, f"{name} must be !Ref {source}"


def test_every_parameter_is_used():
    t = transform()
    used = refs_in(t["Resources"]) | refs_in(t["Conditions"]) | refs_in(t["Outputs"])
    # Conditions reference parameters indirectly through other conditions: expand them.
    for cond in t["Conditions"].values():
        used |= refs_in(cond)
    unused = set(t["Parameters"]) - used
    assert not unused, f"parameters never used: {sorted(unused)}"


def test_every_parameter_is_documented_and_grouped():
    sam = load_sam()
    iface = sam["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [p for g in iface["ParameterGroups"] for p in g["Parameters"]]
    assert sorted(grouped) == sorted(sam["Parameters"]), "each parameter in exactly one group"
    assert len(grouped) == len(set(grouped))
    for name, p in sam["Parameters"].items():
        assert p.get("Description"), name
        assert name in iface["ParameterLabels"], name
        if p["Type"] == "String":
            assert "AllowedPattern" in p or "AllowedValues" in p, f"{name} is not validated"


@pytest.mark.parametrize("name", sorted(load_sam()["Parameters"]))
def test_parameter_default_satisfies_its_own_pattern(name):
    p = load_sam()["Parameters"][name]
    if "Default" in p and "AllowedPattern" in p:
        assert re.fullmatch(p["AllowedPattern"], str(p["Default"])), name
    if "Default" in p and "AllowedValues" in p:
        assert str(p["Default"]) in [str(v) for v in p["AllowedValues"]], name


# --------------------------------------------------------------------------------------------
# Events, dead letters, alarms
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides", [{}, EVERYTHING], ids=["defaults", "everything"])
def test_rules_have_dead_letter_and_retry_and_queue_policy_matches(overrides):
    stack = Stack(overrides)
    rules = {lid for lid, r in stack.resources().items() if r["Type"] == "AWS::Events::Rule"}
    for lid in rules:
        for target in stack.properties(lid)["Targets"]:
            assert target["DeadLetterConfig"]["Arn"] == "<GetAtt:DeadLetterQueue.Arn>", lid
            assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1, lid
    policy = stack.properties("DeadLetterQueuePolicy")["PolicyDocument"]
    allow = by_sid(policy)["EventBridgeRuleTargetsDeadLetter"]
    assert sorted(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(f"<GetAtt:{r}.Arn>" for r in rules)
    queue = stack.properties("DeadLetterQueue")
    assert queue["SqsManagedSseEnabled"] is True


@pytest.mark.parametrize("overrides", [{}, TGW, ZONES, EVERYTHING], ids=["defaults", "tgw", "zones", "everything"])
def test_cloudtrail_rules_and_schedules(overrides):
    stack = Stack(overrides)
    expected_names = {
        "PeeringFunction": ["CreateVpcPeeringConnection", "AcceptVpcPeeringConnection"],
        "TransitGatewayFunction": ["CreateTransitGatewayVpcAttachment", "AcceptTransitGatewayVpcAttachment"],
        "PeerRoleFunction": ["AcceptVpcPeeringConnection"],
        "EndpointServicesFunction": ["CreateVpcEndpoint"],
    }
    existing = stack.resources()
    for fn in FUNCTIONS:
        if fn not in existing:
            continue
        sweep = stack.properties(f"{fn}Sweep")
        assert sweep["ScheduleExpression"] == stack.params["SweepSchedule"]
        if fn in expected_names:
            pattern = stack.properties(f"{fn}CloudTrail")["EventPattern"]
            assert pattern["source"] == ["aws.ec2"]
            assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
            assert pattern["detail"]["eventSource"] == ["ec2.amazonaws.com"]
            assert sorted(pattern["detail"]["eventName"]) == sorted(expected_names[fn])
        else:
            assert f"{fn}CloudTrail" not in existing


@pytest.mark.parametrize("overrides", [{}, EVERYTHING], ids=["defaults", "everything"])
def test_alarms(overrides):
    stack = Stack(overrides)
    existing = stack.resources()
    alarms = {lid: stack.properties(lid) for lid, r in existing.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    emf = {(a["Dimensions"][0]["Value"], a["MetricName"]) for a in alarms.values() if a["Namespace"] == "AstroHandshake"}
    errors = {a["Dimensions"][0]["Value"] for a in alarms.values() if a["Namespace"] == "AWS/Lambda"}
    for fn, (_, handshake, _) in FUNCTIONS.items():
        if fn in existing:
            assert {(handshake, m) for m in ("Ignored", "Conflicts", "Failures")} <= emf, fn
            assert f"<Ref:{fn}>" in errors, fn
        else:
            assert not any(h == handshake for h, _ in emf), fn
    assert any(a["Namespace"] == "AWS/SQS" for a in alarms.values())
    for lid, a in alarms.items():
        assert a["ComparisonOperator"] == "GreaterThanThreshold" and a["Threshold"] == 0, lid
        assert a["Period"] == 300 and a["TreatMissingData"] == "notBreaching", lid
        if stack.params["AlarmTopicArn"]:
            assert a["AlarmActions"] == [stack.params["AlarmTopicArn"]], lid
        else:
            assert "AlarmActions" not in a, lid


# --------------------------------------------------------------------------------------------
# Dashboard and saved queries
# --------------------------------------------------------------------------------------------
LOG_GROUPS = {
    "PeeringFunction": "PeeringLogGroup",
    "TransitGatewayFunction": "TransitGatewayLogGroup",
    "ZonesFunction": "ZonesLogGroup",
    "PeerRoleFunction": "PeerRoleLogGroup",
    "EndpointServicesFunction": "EndpointServicesLogGroup",
}
QUERIES = ["HandshakeHistoryQuery", "WritesQuery", "RefusalsQuery", "OpenFindingsQuery"]
# Logs Insights commands, functions and the queries' own aliases: every other word is a field.
QUERY_WORDS = {
    "fields", "filter", "stats", "sort", "limit", "by", "and", "as", "in", "asc", "desc",
    "count", "min", "max", "latest", "decisions", "records", "firstSeen", "lastSeen", "detail",
}
# The audit record's fields (crates/handshake/src/audit.rs, README "Audit record").
RECORD_FIELDS = {
    "audit", "record", "handshake", "resourceId", "requesterAccount", "verdict", "reason", "action",
    "target", "outcome", "awsRequestId", "errorCode", "dryRun", "trigger", "invocationId", "timestampMs",
}


@pytest.mark.parametrize("overrides", [{}, TGW, ZONES, ENDPOINT_SERVICES, EVERYTHING],
                         ids=["defaults", "tgw", "zones", "endpoint-services", "everything"])
def test_dashboard_shows_each_function_the_stack_has(overrides):
    import json

    stack = Stack(overrides)
    existing = stack.resources()
    body = json.loads(stack.properties("Dashboard")["DashboardBody"])  # one JSON document
    widgets = body["widgets"]
    metric_widgets = [w["properties"] for w in widgets if w["type"] == "metric"]
    for w in metric_widgets:
        assert w["region"] == REGION and w["period"] == 300 and w["metrics"], w
    by_metric: dict[tuple, set] = {}
    for w in metric_widgets:
        for namespace, metric, dimension, value in w["metrics"]:
            by_metric.setdefault((namespace, metric, dimension), set()).add(value)
    shown = by_metric.get(("AstroHandshake", "Failures", "Handshake"), set())
    for fn, (_, handshake, _) in FUNCTIONS.items():
        if fn in existing:
            for m in ("Accepted", "Rejected", "Ignored", "Conflicts", "Failures"):
                assert handshake in by_metric[("AstroHandshake", m, "Handshake")], (fn, m)
            for m in ("Errors", "Duration"):
                assert f"<Ref:{fn}>" in by_metric[("AWS/Lambda", m, "FunctionName")], (fn, m)
        else:
            assert handshake not in shown, fn
            assert all(f"<Ref:{fn}>" not in v for v in by_metric.values()), fn
    assert by_metric[("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")] == {
        "<GetAtt:DeadLetterQueue.QueueName>"}


@pytest.mark.parametrize("overrides", [{}, EVERYTHING], ids=["defaults", "everything"])
def test_saved_queries_cover_every_log_group_and_name_record_fields(overrides):
    stack = Stack(overrides)
    existing = stack.resources()
    expected_groups = sorted(f"<Ref:{LOG_GROUPS[fn]}>" for fn in FUNCTIONS if fn in existing)
    names = []
    for lid in QUERIES:
        q = stack.properties(lid)
        assert sorted(q["LogGroupNames"]) == expected_groups, lid
        assert q["Name"].startswith(f"{STACK_NAME}/"), lid
        names.append(q["Name"])
        text = q["QueryString"]
        assert 'audit = "astro-handshake"' in text, lid
        words = set(re.findall(r"(?<![@\w])[A-Za-z]+", re.sub(r'"[^"]*"', "", text)))
        assert words - QUERY_WORDS <= RECORD_FIELDS, (lid, words - QUERY_WORDS - RECORD_FIELDS)
    assert len(set(names)) == len(names)
    assert re.search(r"filter .*record = \"action\" and outcome != \"planned\"", stack.properties("WritesQuery")["QueryString"])
    assert 'record = "action"' in stack.properties("WritesQuery")["QueryString"]
    assert 'verdict in ["reject", "ignore"]' in stack.properties("RefusalsQuery")["QueryString"]
    assert 'record = "finding"' in stack.properties("OpenFindingsQuery")["QueryString"]
    assert "resourceId = " in stack.properties("HandshakeHistoryQuery")["QueryString"]


# --------------------------------------------------------------------------------------------
# IAM
# --------------------------------------------------------------------------------------------
def test_no_write_action_on_star_and_no_iam_wildcards():
    stack = Stack(EVERYTHING)
    for lid, res in stack.resources().items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        for policy in stack.properties(lid).get("Policies", []):
            for s in statements(policy["PolicyDocument"]):
                for action in actions_of(s):
                    assert "*" not in action, (lid, action)
                    if "*" in resources_of(s):
                        assert READ_ONLY.match(action), f"{lid}: {action} on *"


def test_peering_policy_is_scoped():
    stack = Stack({**EVERYTHING, "UnknownRequests": "reject"})
    st = by_sid(policy_of_role(stack, "PeeringRole"))
    vpcs = ["arn:*:ec2:*:*:vpc/vpc-0123456789abcdef0", "arn:*:ec2:*:*:vpc/vpc-0fedcba9876543210"]
    requesters = ["arn:*:ec2:*:111111111111:vpc/*", "arn:*:ec2:*:222222222222:vpc/*"]
    peering = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-peering-connection/*"
    assert resources_of(st["AcceptOnAccepterVpcs"]) == vpcs
    accept = st["AcceptFromAstroIntoAccepterVpcs"]
    assert resources_of(accept) == [peering]
    assert accept["Condition"]["ArnLike"] == {"ec2:AccepterVpc": vpcs, "ec2:RequesterVpc": requesters}
    assert st["AccepterDnsOption"]["Condition"]["ArnLike"]["ec2:AccepterVpc"] == vpcs
    assert st["RejectRequestsIntoAccepterVpcs"]["Condition"]["ArnLike"]["ec2:AccepterVpc"] == vpcs
    assert st["BackRoutesInAccepterVpcs"]["Condition"]["ArnLike"]["ec2:Vpc"] == vpcs
    tags = st["TagPeeringsManagedOnly"]
    assert tags["Condition"]["StringEquals"] == {"aws:RequestTag/astro-handshake:managed": "true"}
    assert tags["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] == ["astro-handshake:managed"]
    assert tags["Condition"]["ArnLike"] == {"ec2:AccepterVpc": vpcs}
    assert "RejectRequestsIntoAccepterVpcs" not in by_sid(policy_of_role(Stack(), "PeeringRole"))
    # The diagnose action reads only; what IAM can scope is scoped.
    assert sorted(actions_of(st["DiagnoseNetwork"])) == [
        "ec2:DescribeNetworkAcls", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
        "ec2:DescribeTransitGatewayAttachments", "route53:ListHostedZones"]
    assert resources_of(st["DiagnosePrefixLists"]) == [f"arn:aws:ec2:{REGION}:*:prefix-list/*"]
    assert actions_of(st["DiagnosePrefixLists"]) == ["ec2:GetManagedPrefixListEntries"]
    assert resources_of(st["DiagnoseZones"]) == ["arn:aws:route53:::hostedzone/*"]
    for sid in ("DiagnoseNetwork", "DiagnosePrefixLists", "DiagnoseZones"):
        assert all(READ_ONLY.match(a) for a in actions_of(st[sid])), sid


def test_transit_gateway_policy_is_scoped():
    stack = Stack(TGW)
    st = by_sid(policy_of_role(stack, "TransitGatewayRole"))
    rtb = f"arn:aws:ec2:{REGION}:{ACCOUNT}:transit-gateway-route-table/{TGW['TransitGatewayRouteTableId']}"
    assert rtb in resources_of(st["RouteTableAssociationAndBackRoutes"])
    assert resources_of(st["SearchRouteTable"]) == [rtb]
    assert st["SpokeRoutesToAstro"]["Condition"]["ArnLike"]["ec2:Vpc"] == [
        "arn:*:ec2:*:*:vpc/vpc-0aaaaaaaaaaaaaaa1", "arn:*:ec2:*:*:vpc/vpc-0aaaaaaaaaaaaaaa2"]
    assert "RejectAttachments" not in st
    # An attachment's ARN carries the account that created it (Astro's, for Astro's attachment).
    attachments = f"arn:aws:ec2:{REGION}:*:transit-gateway-attachment/*"
    assert resources_of(st["AcceptAttachments"]) == [attachments]
    assert attachments in resources_of(st["RouteTableAssociationAndBackRoutes"])
    assert by_sid(policy_of_role(Stack({**TGW, "UnknownRequests": "reject"}), "TransitGatewayRole"))[
        "RejectAttachments"]["Resource"] == attachments
    share = stack.properties("TransitGatewayShare")
    assert share["ResourceArns"] == [f"arn:aws:ec2:{REGION}:{ACCOUNT}:transit-gateway/{TGW['TransitGatewayId']}"]
    assert share["Principals"] == ["111111111111", "222222222222"]
    assert share["AllowExternalPrincipals"] == "true"
    minimal = by_sid(policy_of_role(Stack({"TransitGatewayId": TGW["TransitGatewayId"]}), "TransitGatewayRole"))
    assert "SpokeRoutesToAstro" not in minimal


def test_resolver_rule_share_takes_up_to_five_rules():
    ids = [f"rslvr-rr-0123456789abcdef{i}" for i in range(5)]
    for n in (1, 2, 5):
        share = Stack({"ResolverRuleIds": ",".join(ids[:n])}).properties("ResolverRuleShare")
        assert share["ResourceArns"] == [
            f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:resolver-rule/{i}" for i in ids[:n]]
    pattern = load_sam()["Parameters"]["ResolverRuleIds"]["AllowedPattern"]
    assert not re.fullmatch(pattern, ",".join(ids + ["rslvr-rr-0123456789abcdef9"]))


def test_endpoint_services_policy_is_scoped():
    services = [f"arn:*:ec2:*:*:vpc-endpoint-service/{i}" for i in ENDPOINT_SERVICES["EndpointServiceIds"].split(",")]
    st = by_sid(policy_of_role(Stack(ENDPOINT_SERVICES), "EndpointServicesRole"))
    assert sorted(actions_of(st["Observe"])) == [
        "ec2:DescribeVpcEndpointConnections", "ec2:DescribeVpcEndpointServiceConfigurations"]
    listed = st["ListedServices"]
    assert resources_of(listed) == services
    assert sorted(actions_of(listed)) == [
        "ec2:AcceptVpcEndpointConnections", "ec2:DescribeVpcEndpointServicePermissions",
        "ec2:ModifyVpcEndpointServicePermissions"]
    assert "RejectOnListedServices" not in st
    reject = by_sid(policy_of_role(Stack({**ENDPOINT_SERVICES, "UnknownRequests": "reject"}),
                                   "EndpointServicesRole"))["RejectOnListedServices"]
    assert actions_of(reject) == ["ec2:RejectVpcEndpointConnections"]
    assert resources_of(reject) == services
    pattern = load_sam()["Parameters"]["EndpointServiceIds"]["AllowedPattern"]
    assert re.fullmatch(pattern, "") and re.fullmatch(pattern, ENDPOINT_SERVICES["EndpointServiceIds"])
    for bad in ["vpce-0123456789abcdef0", "vpce-svc-0123456789abcdef0, vpce-svc-0fedcba9876543210", "*"]:
        assert not re.fullmatch(pattern, bad), bad


def test_zones_policy_is_scoped():
    stack = Stack(EVERYTHING)
    st = by_sid(policy_of_role(stack, "ZonesRole"))
    listed = ["arn:*:route53:::hostedzone/Z0123456789ABCDEFGHIJ", "arn:*:route53:::hostedzone/Z0AAAAAAAAAAAAAAAAAAA"]
    assert resources_of(st["ReadListedZones"]) == listed
    auth = st["AuthorizeAstroVpcsOnListedZones"]
    assert resources_of(auth) == listed
    assert auth["Condition"]["StringLike"]["route53:VPCs"] == ["VPCId=vpc-0eeeeeeeeeeeeeee1,VPCRegion=*"]
    assoc = st["AssociateListedVpcs"]
    assert "arn:*:route53:::hostedzone/Z0123456789ABCDEFGHIJ" in resources_of(assoc)
    assert "arn:aws:route53:::hostedzone/<Ref:RemoteExecutionZone>" in resources_of(assoc)
    vpcs = assoc["Condition"]["StringLike"]["route53:VPCs"]
    assert "VPCId=vpc-0ddddddddddddddd1,VPCRegion=*" in vpcs and "VPCId=vpc-0ddddddddddddddd2,VPCRegion=*" in vpcs
    assert resources_of(st["RemoteExecutionZone"]) == ["arn:aws:route53:::hostedzone/<Ref:RemoteExecutionZone>"]
    # Without Astro VPC IDs the authorization is scoped by zone only.
    no_astro = by_sid(policy_of_role(Stack(ZONES), "ZonesRole"))
    assert "Condition" not in no_astro["AuthorizeAstroVpcsOnListedZones"]
    assert "AssociateListedVpcs" not in no_astro and "RemoteExecutionZone" not in no_astro


def test_peer_role_external_id_is_optional():
    """CloudFormation's PeerRoleArn (how Astro accepts) cannot send an external id: without one
    the trust has no sts:ExternalId condition; with one it requires it."""
    role = Stack({**PEER_ROLE, "PeerRoleExternalId": ""}).properties("PeerRole")
    (trust,) = statements(role["AssumeRolePolicyDocument"])
    assert "StringEquals" not in trust["Condition"]
    assert trust["Condition"]["DateLessThan"] == {"aws:CurrentTime": PEER_ROLE["PeerRoleExpiresAt"]}
    rules = load_sam()["Rules"]["PeerRoleNeedsTrustInputs"]
    assert "PeerRoleExternalId" not in refs_in(rules["Assertions"])


@pytest.mark.parametrize("ips, expected", [
    ("203.0.113.7", ["203.0.113.7/32"]),
    ("203.0.113.7,198.51.100.0/28", ["203.0.113.7/32", "198.51.100.0/28"]),
    (",".join(f"192.0.2.{i}" for i in range(1, 11)), [f"192.0.2.{i}/32" for i in range(1, 11)]),
])
def test_astro_external_ips_become_a_prefix_list(ips, expected):
    stack = Stack({"AstroExternalIps": ips})
    pl = stack.properties("AstroExternalIpsPrefixList")
    assert [e["Cidr"] for e in pl["Entries"]] == expected
    assert pl["AddressFamily"] == "IPv4" and pl["MaxEntries"] >= len(expected)
    assert stack.outputs()["AstroExternalIpsPrefixListId"]["Value"] == {"Ref": "AstroExternalIpsPrefixList"}
    pattern = load_sam()["Parameters"]["AstroExternalIps"]["AllowedPattern"]
    assert re.fullmatch(pattern, ips)


def test_no_prefix_list_without_external_ips():
    stack = Stack()
    assert "AstroExternalIpsPrefixList" not in stack.resources()
    assert "AstroExternalIpsPrefixListId" not in stack.outputs()
    pattern = load_sam()["Parameters"]["AstroExternalIps"]["AllowedPattern"]
    assert not re.fullmatch(pattern, ",".join(f"192.0.2.{i}" for i in range(1, 12))), "at most 10"
    assert not re.fullmatch(pattern, "203.0.113.7, 198.51.100.1"), "no spaces"


def test_the_sweep_runs_every_minute_by_default():
    assert load_sam()["Parameters"]["SweepSchedule"]["Default"] == "rate(1 minute)"


def test_peer_role_trust_has_external_id_and_time_box():
    stack = Stack(PEER_ROLE)
    role = stack.properties("PeerRole")
    assert role["RoleName"] == f"{STACK_NAME}-astro-peer-role"
    (trust,) = statements(role["AssumeRolePolicyDocument"])
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {"AWS": ["333333333333", "444444444444"]}
    assert trust["Condition"]["StringEquals"] == {"sts:ExternalId": PEER_ROLE["PeerRoleExternalId"]}
    assert trust["Condition"]["DateLessThan"] == {"aws:CurrentTime": PEER_ROLE["PeerRoleExpiresAt"]}
    st = by_sid(role["Policies"][0]["PolicyDocument"])
    assert st["AcceptFromAstroHybrid"]["Condition"]["ArnLike"]["ec2:RequesterVpc"] == [
        "arn:*:ec2:*:333333333333:vpc/*", "arn:*:ec2:*:444444444444:vpc/*"]
    # The role accepts; nothing in Astro's flow has it create a peering.
    assert "CreateTowardsAstroHybrid" not in st
    assert all(a == "ec2:AcceptVpcPeeringConnection" or a.startswith("ec2:Describe")
               for s in st.values() for a in actions_of(s))
    assert resources_of(st["AccepterVpcsOnly"]) == [
        "arn:*:ec2:*:*:vpc/vpc-0123456789abcdef0", "arn:*:ec2:*:*:vpc/vpc-0fedcba9876543210"]
    rules = load_sam()["Rules"]["PeerRoleNeedsTrustInputs"]
    asserted = refs_in(rules["Assertions"])
    assert {"PeerOwnerIds", "PeerRoleExpiresAt"} <= asserted


PEER_ROLE_DELETE_ACTIONS = [  # the delete handler of the AWS::IAM::Role resource schema
    "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:GetRole",
    "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
]


@pytest.mark.parametrize("overrides", [{}, PEER_ROLE, EVERYTHING], ids=["defaults", "peer-role", "everything"])
def test_peer_role_function_updates_its_stack_without_a_service_role(overrides):
    """No CloudFormation service role: the change set runs with the function's credentials (a
    role passed as RoleARN would stay the stack's role for the customer's next deploy); only
    change sets of the function's own name are created, executed or deleted."""
    stack = Stack(overrides)
    assert "CloudFormationServiceRole" not in stack.template["Resources"]
    assert "CloudFormationServiceRoleArn" not in stack.template.get("Outputs", {})
    env = stack.properties("PeerRoleFunction")["Environment"]["Variables"]
    assert "CLOUDFORMATION_ROLE_ARN" not in env
    peer_role_arn = f"arn:aws:iam::{ACCOUNT}:role/{STACK_NAME}-astro-peer-role"
    if "PeerRole" in stack.resources():
        assert stack.properties("PeerRole")["RoleName"] == f"{STACK_NAME}-astro-peer-role"
    doc = policy_of_role(stack, "PeerRoleFunctionRole")
    st = by_sid(doc)
    stack_arn = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/*"
    own_change_sets = {"StringLike": {"cloudformation:ChangeSetName": "astro-handshake-remove-peer-role-*"}}
    prepare = st["PrepareRemovalWithoutServiceRole"]
    assert actions_of(prepare) == ["cloudformation:CreateChangeSet"]
    assert resources_of(prepare) == [stack_arn]
    assert prepare["Condition"] == {"Null": {"cloudformation:RoleArn": "true"}, **own_change_sets}
    execute = st["ExecuteOrDiscardRemoval"]
    assert sorted(actions_of(execute)) == ["cloudformation:DeleteChangeSet", "cloudformation:ExecuteChangeSet"]
    assert resources_of(execute) == [stack_arn]
    assert execute["Condition"] == own_change_sets
    assert resources_of(st["ReadThisStack"]) == [stack_arn]
    assert resources_of(st["RunSamTransform"]) == [
        f"arn:aws:cloudformation:{REGION}:aws:transform/Serverless-2016-10-31"]
    delete = st["DeletePeerRoleOnly"]
    assert sorted(actions_of(delete)) == PEER_ROLE_DELETE_ACTIONS
    assert resources_of(delete) == [peer_role_arn]
    # IAM only on the PeerRole, and nothing that could create or widen a permission; no direct
    # stack update at all.
    for s in statements(doc):
        for action in actions_of(s):
            if action.startswith("iam:"):
                assert s is delete, (s["Sid"], action)
            assert not re.match(r"iam:(Create|Put|Attach|Update|PassRole|Tag|Untag)", action), action
            assert not re.match(r"cloudformation:(CreateStack|DeleteStack|UpdateStack|SetStackPolicy)", action), action


# --------------------------------------------------------------------------------------------
# Remote Execution PrivateLink
# --------------------------------------------------------------------------------------------
def test_remote_execution_endpoint_and_zone():
    stack = Stack(ENDPOINT)
    sg = stack.properties("RemoteExecutionSecurityGroup")
    assert sg["SecurityGroupIngress"] == [{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.20.0.0/16",
        "Description": sg["SecurityGroupIngress"][0]["Description"]}]
    ep = stack.properties("RemoteExecutionEndpoint")
    assert ep["VpcEndpointType"] == "Interface" and ep["PrivateDnsEnabled"] is False
    assert ep["ServiceName"] == ENDPOINT["AstroEndpointServiceName"]
    assert ep["SubnetIds"] == ["subnet-0ccccccccccccccc1", "subnet-0ccccccccccccccc2"]
    zone = stack.properties("RemoteExecutionZone")
    assert zone["Name"] == "external.astronomer.run"
    assert zone["VPCs"] == [{"VPCId": ENDPOINT["RemoteExecutionVpcId"], "VPCRegion": REGION}]
    names = {stack.properties(r)["Name"] for r in ("RemoteExecutionApexRecord", "RemoteExecutionWildcardRecord")}
    assert names == {"external.astronomer.run.", "*.external.astronomer.run."}
    env = stack.properties("ZonesFunction")["Environment"]["Variables"]
    assert env["REMOTE_EXECUTION_ZONE_ID"] == "<Ref:RemoteExecutionZone>"
    assert Stack(ZONES).properties("ZonesFunction")["Environment"]["Variables"]["REMOTE_EXECUTION_ZONE_ID"] == ""


# --------------------------------------------------------------------------------------------
# Empty optional lists never leak into ARNs
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides", [{}, TGW, ZONES, ASSOCIATIONS, ENDPOINT, PEER_ROLE, ENDPOINT_SERVICES, EVERYTHING],
                         ids=["defaults", "tgw", "zones", "associations", "endpoint", "peer-role", "endpoint-services",
                              "everything"])
def test_no_empty_ids_in_policies(overrides):
    stack = Stack(overrides)
    for lid, res in stack.resources().items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        for policy in stack.properties(lid).get("Policies", []):
            for s in statements(policy["PolicyDocument"]):
                values = resources_of(s)
                for cond in s.get("Condition", {}).values():
                    for v in cond.values():
                        values += v if isinstance(v, list) else [v]
                for v in values:
                    assert v and not v.endswith("/") and "VPCId=," not in v and ":hostedzone/," not in v, (lid, s["Sid"], v)


def test_record_fields_are_the_audit_records_fields():
    """The queries' field names (RECORD_FIELDS) are the serialized fields of AuditRecord."""
    source = (REPO / "crates/handshake/src/audit.rs").read_text()
    body = re.search(r"pub struct AuditRecord \{(.*?)\n\}", source, re.S).group(1)
    names = re.findall(r"pub (\w+):", body)
    camel = {n.split("_")[0] + "".join(w.title() for w in n.split("_")[1:]) for n in names}
    assert camel == RECORD_FIELDS


def test_readme_shows_each_saved_query_as_deployed():
    readme = (REPO / "README.md").read_text()
    stack = Stack(EVERYTHING)
    for lid in QUERIES:
        shown = "\n".join("  " + line for line in stack.properties(lid)["QueryString"].split("\n"))
        assert shown in readme, f"README does not show {lid} as the template has it"
