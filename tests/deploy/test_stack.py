"""The deployable template (tools/templates.py deployable) as a real stack in the emulator's
CloudFormation, with every feature on.

The customer account (222222222222) first gets the real things the parameters name (VPCs,
subnets, a Transit Gateway and route table, private hosted zones, Resolver rules, an SNS topic,
the code zips), and Astro (111111111111) a VPC endpoint service; then CreateStack with every
parameter of the template. Each resource the template declares under those parameters must be
in the stack (ListStackResources) and must exist for its own service's API, with the properties
the template gives it. DeleteStack must remove all of it; the PeerRole's removal (UpdateStack
with the previous template, CreatePeerRole=false and every other value kept) must remove the
PeerRole and change nothing else, and so must the change set the peer-role function makes for
it, whose only change must be the PeerRole's removal.
"""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
from botocore.exceptions import ClientError

import cfn
from tools import templates

from customer_stack import (  # noqa: E402
    ASTRO,
    CAPABILITIES,
    CUSTOMER,
    REGION,
    STACK,
    build_world,
    create_stack,
)

# Resource types the emulator's CloudFormation lists in the stack but does not really create,
# with the reason. Every type template.yaml uses is created (astro_moto.cfn_ext supplies the
# models moto lacks), so nothing is exempt.
NOT_CREATED_BY_THE_EMULATOR: dict[str, str] = {}


def listed(cfn_client, stack: str) -> dict:
    """ListStackResources as logical id -> (type, physical id)."""
    summaries = cfn_client.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    out = {}
    for s in summaries:
        assert s["LogicalResourceId"] and s["ResourceType"] and s["PhysicalResourceId"], s
        assert s["LogicalResourceId"] not in out, s
        out[s["LogicalResourceId"]] = (s["ResourceType"], s["PhysicalResourceId"])
    return out


def declared(world: dict, overrides: dict | None = None) -> dict:
    """Logical id -> resource, for the resources the template declares under the parameters."""
    return cfn.Stack({**world["params"], **(overrides or {})}, template=world["template"]).resources()


def code_sha256(zipped: bytes) -> str:
    return base64.b64encode(hashlib.sha256(zipped).digest()).decode()


def error_code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


# --------------------------------------------------------------------------------------------
# Each resource, through its own service's API
# --------------------------------------------------------------------------------------------
class Services:
    """Checks that a stack resource exists (``exists``) or is gone (``gone``), looked up with
    its own service's API in the customer account."""

    def __init__(self, account_client, world: dict, physical: dict):
        self.c = lambda service: account_client(service, CUSTOMER)
        self.world = world
        self.physical = physical  # logical id -> physical id
        self.stack = cfn.Stack(world["params"], template=world["template"])

    # -- helpers ----------------------------------------------------------------------------
    def ref(self, node) -> str:
        assert isinstance(node, dict) and set(node) == {"Ref"}, node
        return self.physical[node["Ref"]]

    def concrete(self, value):
        """A value of cfn.Stack with <Ref:X> / <GetAtt:X.QueueName> replaced by what they are."""
        if isinstance(value, str) and value.startswith("<Ref:"):
            return self.physical[value[len("<Ref:"):-1]]
        if isinstance(value, str) and value.startswith("<GetAtt:") and value.endswith(".QueueName>"):
            return self.physical[value[len("<GetAtt:"):-len(".QueueName>")]].rsplit("/", 1)[1]
        assert not (isinstance(value, str) and value.startswith("<")), f"unresolved {value}"
        return value

    def role_arn(self, lid: str) -> str:
        return self.c("iam").get_role(RoleName=self.physical[lid])["Role"]["Arn"]

    def queue_arn(self, lid: str) -> str:
        return self.c("sqs").get_queue_attributes(
            QueueUrl=self.physical[lid], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def rule_arn(self, lid: str) -> str:
        return self.c("events").describe_rule(Name=self.physical[lid])["Arn"]

    def function_arn(self, lid: str) -> str:
        return self.c("lambda").get_function(FunctionName=self.physical[lid])["Configuration"]["FunctionArn"]

    def props(self, lid: str) -> dict:
        return self.world["template"]["Resources"][lid].get("Properties", {})

    # -- exists -----------------------------------------------------------------------------
    def exists(self, lid: str, rtype: str) -> None:
        getattr(self, "exists_" + rtype.replace("AWS::", "").replace("::", "_"))(lid, self.physical[lid])

    def exists_Lambda_Function(self, lid: str, name: str) -> None:
        got = self.c("lambda").get_function(FunctionName=name)
        conf = got["Configuration"]
        props = self.props(lid)
        binary = templates.binaries()[lid]
        assert conf["Runtime"] == "provided.al2023" and conf["Handler"] == "bootstrap"
        assert conf["Architectures"] == ["arm64"]
        assert conf["MemorySize"] == props["MemorySize"] and conf["Timeout"] == props["Timeout"]
        assert conf["Role"] == self.role_arn(props["Role"]["Fn::GetAtt"][0])
        assert conf["CodeSha256"] == code_sha256(self.world["zips"][binary]), "code is not the uploaded zip"
        expected_env = {k: str(self.concrete(v)) for k, v in
                        self.stack.properties(lid)["Environment"]["Variables"].items()}
        assert conf["Environment"]["Variables"] == expected_env
        assert conf["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": self.ref(props["LoggingConfig"]["LogGroup"])}
        assert conf["DeadLetterConfig"] == {"TargetArn": self.queue_arn("DeadLetterQueue")}
        assert got["Concurrency"]["ReservedConcurrentExecutions"] == int(self.world["params"]["ReservedConcurrency"])
        assert got["Tags"].get("lambda:createdBy") == "SAM"

    def exists_Lambda_Permission(self, lid: str, sid: str) -> None:
        props = self.props(lid)
        policy = json.loads(self.c("lambda").get_policy(FunctionName=self.ref(props["FunctionName"]))["Policy"])
        (statement,) = [s for s in policy["Statement"] if s["Sid"] == sid]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "lambda:InvokeFunction"
        source = props["SourceArn"]["Fn::GetAtt"][0]
        assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == self.rule_arn(source)

    def exists_Lambda_EventInvokeConfig(self, lid: str, physical: str) -> None:
        function = self.ref(self.props(lid)["FunctionName"])
        assert physical == f"{function}|$LATEST"
        config = self.c("lambda").get_function_event_invoke_config(FunctionName=function)
        assert config["MaximumRetryAttempts"] == 2 and config["MaximumEventAgeInSeconds"] == 3600

    def exists_IAM_Role(self, lid: str, name: str) -> None:
        iam = self.c("iam")
        role = iam.get_role(RoleName=name)["Role"]
        props = self.stack.properties(lid)
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert trust == props["AssumeRolePolicyDocument"]
        (policy,) = props["Policies"]
        assert iam.list_role_policies(RoleName=name)["PolicyNames"] == [policy["PolicyName"]]
        doc = iam.get_role_policy(RoleName=name, PolicyName=policy["PolicyName"])["PolicyDocument"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        assert [s["Sid"] for s in doc["Statement"]] == [s["Sid"] for s in policy["PolicyDocument"]["Statement"]]
        if "RoleName" in props:
            assert name == props["RoleName"]

    def exists_Events_Rule(self, lid: str, name: str) -> None:
        events = self.c("events")
        rule = events.describe_rule(Name=name)
        props = self.stack.properties(lid)
        assert rule["State"] == "ENABLED"
        if "ScheduleExpression" in props:
            assert rule["ScheduleExpression"] == self.world["params"]["SweepSchedule"]
        else:
            assert json.loads(rule["EventPattern"]) == props["EventPattern"]
        (target,) = events.list_targets_by_rule(Rule=name)["Targets"]
        function = self.world["template"]["Resources"][lid]["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0]
        assert target["Arn"] == self.function_arn(function)
        assert target["DeadLetterConfig"] == {"Arn": self.queue_arn("DeadLetterQueue")}
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600}

    def exists_Logs_LogGroup(self, lid: str, name: str) -> None:
        groups = self.c("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        (group,) = [g for g in groups if g["logGroupName"] == name]
        assert name == self.stack.properties(lid)["LogGroupName"]
        assert group["retentionInDays"] == int(self.world["params"]["LogRetentionDays"])

    def exists_SQS_Queue(self, lid: str, url: str) -> None:
        attrs = self.c("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["SqsManagedSseEnabled"] == "true"
        assert attrs["MessageRetentionPeriod"] == "1209600"

    def exists_SQS_QueuePolicy(self, lid: str, physical: str) -> None:
        (queue,) = self.props(lid)["Queues"]
        attrs = self.c("sqs").get_queue_attributes(QueueUrl=self.ref(queue), AttributeNames=["Policy"])["Attributes"]
        policy = json.loads(attrs["Policy"])
        by_sid = {s["Sid"]: s for s in policy["Statement"]}
        assert set(by_sid) == {"EventBridgeRuleTargetsDeadLetter", "DenyInsecureTransport"}
        allow = by_sid["EventBridgeRuleTargetsDeadLetter"]
        assert allow["Resource"] == self.queue_arn("DeadLetterQueue")
        rules = [r for r, res in declared(self.world).items() if res["Type"] == "AWS::Events::Rule"]
        assert sorted(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(self.rule_arn(r) for r in rules)

    def exists_CloudWatch_Dashboard(self, lid: str, name: str) -> None:
        assert name == self.stack.properties(lid)["DashboardName"]
        body = json.loads(self.c("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])
        functions = {self.physical[f] for f, res in declared(self.world).items()
                     if res["Type"] == "AWS::Lambda::Function"}
        shown = {m[3] for w in body["widgets"] if w["type"] == "metric"
                 for m in w["properties"]["metrics"] if m[:3] == ["AWS/Lambda", "Errors", "FunctionName"]}
        assert shown == functions, "the dashboard shows each deployed function's errors"
        (queue,) = [m[3] for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]
                    if m[0] == "AWS/SQS"]
        assert self.physical["DeadLetterQueue"].endswith("/" + queue)

    def exists_Logs_QueryDefinition(self, lid: str, definition_id: str) -> None:
        props = self.stack.properties(lid)
        (query,) = [q for q in self.c("logs").describe_query_definitions()["queryDefinitions"]
                    if q["queryDefinitionId"] == definition_id]
        assert query["name"] == self.concrete(props["Name"])
        assert query["queryString"] == props["QueryString"]
        groups = {self.physical[g] for g, res in declared(self.world).items() if res["Type"] == "AWS::Logs::LogGroup"}
        assert set(query["logGroupNames"]) == groups

    def exists_CloudWatch_Alarm(self, lid: str, name: str) -> None:
        (alarm,) = self.c("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
        props = self.stack.properties(lid)
        assert (alarm["Namespace"], alarm["MetricName"]) == (props["Namespace"], props["MetricName"])
        assert alarm["Dimensions"] == [{"Name": d["Name"], "Value": self.concrete(d["Value"])} for d in props["Dimensions"]]
        assert alarm["AlarmActions"] == [self.world["topic"]] and alarm["OKActions"] == [self.world["topic"]]
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0
        assert alarm["TreatMissingData"] == "notBreaching"

    def exists_RAM_ResourceShare(self, lid: str, arn: str) -> None:
        ram = self.c("ram")
        (share,) = [s for s in ram.get_resource_shares(resourceOwner="SELF")["resourceShares"]
                    if s["resourceShareArn"] == arn]
        props = self.stack.properties(lid)
        assert share["status"] == "ACTIVE" and share["allowExternalPrincipals"] is True
        assert share["name"] == props["Name"]
        principals = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[arn])
        assert sorted(a["associatedEntity"] for a in principals["resourceShareAssociations"]) == sorted(props["Principals"])
        resources = ram.get_resource_share_associations(associationType="RESOURCE", resourceShareArns=[arn])
        arns = sorted(a["associatedEntity"] for a in resources["resourceShareAssociations"])
        # cfn.Stack renders ${AWS::AccountId} as its own placeholder account.
        assert arns == sorted(a.replace(cfn.ACCOUNT, CUSTOMER) for a in props["ResourceArns"])

    def exists_EC2_SecurityGroup(self, lid: str, group_id: str) -> None:
        (group,) = self.c("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
        assert group["VpcId"] == self.world["vpcs"]["remote"]
        (ingress,) = group["IpPermissions"]
        assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 443, 443)
        assert [r["CidrIp"] for r in ingress["IpRanges"]] == [self.world["params"]["RemoteExecutionVpcCidr"]]
        (egress,) = group["IpPermissionsEgress"]
        assert egress["IpProtocol"] == "-1"
        assert egress["IpRanges"] == [{"CidrIp": "127.0.0.1/32", "Description": "No egress"}]

    def exists_EC2_PrefixList(self, lid: str, prefix_list_id: str) -> None:
        ec2 = self.c("ec2")
        (pl,) = ec2.describe_managed_prefix_lists(PrefixListIds=[prefix_list_id])["PrefixLists"]
        assert pl["PrefixListName"] == f"{STACK}-astro-external-ips"
        assert pl["AddressFamily"] == "IPv4" and pl["MaxEntries"] == 15
        entries = ec2.get_managed_prefix_list_entries(PrefixListId=prefix_list_id)["Entries"]
        # AstroExternalIps: an address without a mask becomes a /32.
        assert sorted(e["Cidr"] for e in entries) == ["198.51.100.0/28", "203.0.113.7/32"]

    def exists_EC2_VPCEndpoint(self, lid: str, endpoint_id: str) -> None:
        (endpoint,) = self.c("ec2").describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
        assert endpoint["State"] == "available" and endpoint["VpcEndpointType"] == "Interface"
        assert endpoint["ServiceName"] == self.world["service"]
        assert endpoint["VpcId"] == self.world["vpcs"]["remote"]
        assert sorted(endpoint["SubnetIds"]) == sorted(self.world["subnets"])
        assert [g["GroupId"] for g in endpoint["Groups"]] == [self.physical["RemoteExecutionSecurityGroup"]]
        assert endpoint["PrivateDnsEnabled"] is False

    def exists_Route53_HostedZone(self, lid: str, zone_id: str) -> None:
        zone = self.c("route53").get_hosted_zone(Id=zone_id)
        assert zone["HostedZone"]["Name"] == "external.astronomer.run."
        assert zone["HostedZone"]["Config"]["PrivateZone"] is True
        assert zone["HostedZone"]["Config"]["Comment"] == f"Astro Remote Execution over PrivateLink ({STACK})"
        assert zone["VPCs"] == [{"VPCRegion": REGION, "VPCId": self.world["vpcs"]["remote"]}]

    def exists_Route53_RecordSet(self, lid: str, name: str) -> None:
        props = self.props(lid)
        zone_id = self.ref(props["HostedZoneId"])
        records = self.c("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        (record,) = [r for r in records if r["Name"] == props["Name"] and r["Type"] == "A"]
        assert name == props["Name"]
        (endpoint,) = self.c("ec2").describe_vpc_endpoints(
            VpcEndpointIds=[self.physical["RemoteExecutionEndpoint"]])["VpcEndpoints"]
        first = endpoint["DnsEntries"][0]
        assert record["AliasTarget"]["DNSName"].rstrip(".") == first["DnsName"]
        assert record["AliasTarget"]["HostedZoneId"] == first["HostedZoneId"]

    # -- gone -------------------------------------------------------------------------------
    def gone(self, lid: str, rtype: str) -> None:
        physical = self.physical[lid]
        c = self.c
        if rtype == "AWS::Lambda::Function":
            assert error_code(lambda: c("lambda").get_function(FunctionName=physical)) == "ResourceNotFoundException"
        elif rtype in ("AWS::Lambda::Permission", "AWS::Lambda::EventInvokeConfig"):
            function = self.ref(self.props(lid)["FunctionName"])
            assert error_code(lambda: c("lambda").get_policy(FunctionName=function)) == "ResourceNotFoundException"
        elif rtype == "AWS::IAM::Role":
            assert error_code(lambda: c("iam").get_role(RoleName=physical)) == "NoSuchEntity"
        elif rtype == "AWS::Events::Rule":
            assert error_code(lambda: c("events").describe_rule(Name=physical)) == "ResourceNotFoundException"
        elif rtype == "AWS::Logs::LogGroup":
            groups = c("logs").describe_log_groups(logGroupNamePrefix=physical)["logGroups"]
            assert [g for g in groups if g["logGroupName"] == physical] == []
        elif rtype in ("AWS::SQS::Queue", "AWS::SQS::QueuePolicy"):
            url = self.physical["DeadLetterQueue"]
            assert error_code(lambda: c("sqs").get_queue_attributes(QueueUrl=url)) \
                == "AWS.SimpleQueueService.NonExistentQueue"
        elif rtype == "AWS::CloudWatch::Alarm":
            assert c("cloudwatch").describe_alarms(AlarmNames=[physical])["MetricAlarms"] == []
        elif rtype == "AWS::CloudWatch::Dashboard":
            assert error_code(lambda: c("cloudwatch").get_dashboard(DashboardName=physical)) == "ResourceNotFound"
        elif rtype == "AWS::Logs::QueryDefinition":
            definitions = c("logs").describe_query_definitions()["queryDefinitions"]
            assert [q for q in definitions if q["queryDefinitionId"] == physical] == []
        elif rtype == "AWS::RAM::ResourceShare":
            shares = c("ram").get_resource_shares(resourceOwner="SELF")["resourceShares"]
            assert [s["status"] for s in shares if s["resourceShareArn"] == physical] in ([], ["DELETED"])
        elif rtype == "AWS::EC2::SecurityGroup":
            assert error_code(lambda: c("ec2").describe_security_groups(GroupIds=[physical])) == "InvalidGroup.NotFound"
        elif rtype == "AWS::EC2::PrefixList":
            lists = c("ec2").describe_managed_prefix_lists()["PrefixLists"]
            assert [p["State"] for p in lists if p["PrefixListId"] == physical] in ([], ["delete-complete"])
        elif rtype == "AWS::EC2::VPCEndpoint":
            endpoints = c("ec2").describe_vpc_endpoints()["VpcEndpoints"]
            assert [e["State"] for e in endpoints if e["VpcEndpointId"] == physical] in ([], ["deleted"])
        elif rtype == "AWS::Route53::HostedZone":
            assert error_code(lambda: c("route53").get_hosted_zone(Id=physical)) == "NoSuchHostedZone"
        elif rtype == "AWS::Route53::RecordSet":
            zone = self.physical["RemoteExecutionZone"]
            assert error_code(lambda: c("route53").list_resource_record_sets(HostedZoneId=zone)) == "NoSuchHostedZone"
        else:
            raise AssertionError(f"no check for {rtype}")


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------
@pytest.fixture
def customer(account_client, tmp_path):
    """The customer's account, ready for the stack."""
    return build_world(account_client, tmp_path)


@pytest.fixture
def world(account_client, customer):
    """... and the stack, created."""
    customer["stack_id"] = create_stack(account_client, customer)
    return customer


def test_every_parameter_is_passed_and_every_feature_is_on(customer):
    assert set(customer["params"]) == set(customer["template"]["Parameters"])
    assert set(declared(customer)) == set(customer["template"]["Resources"]), "some resource is switched off"


def test_create_stack_creates_every_declared_resource(world, account_client):
    cfn_client = account_client("cloudformation", CUSTOMER)
    (stack,) = cfn_client.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == world["params"]

    expected = declared(world)
    resources = listed(cfn_client, STACK)
    services = Services(account_client, world, {lid: pid for lid, (_, pid) in resources.items()})
    missing = {}  # logical id -> why it does not really exist
    for lid, resource in sorted(expected.items()):
        if lid not in resources:
            missing[lid] = "not in ListStackResources"
            continue
        assert resources[lid][0] == resource["Type"], lid
        try:
            services.exists(lid, resource["Type"])
        except (AssertionError, ClientError) as e:
            missing[lid] = f"{type(e).__name__}: {e}"
    assert set(resources) <= set(expected), f"not declared: {sorted(set(resources) - set(expected))}"
    exempt = {lid for lid, r in expected.items() if r["Type"] in NOT_CREATED_BY_THE_EMULATOR}
    assert set(missing) == exempt, missing
    assert {r["Type"] for r in expected.values()} >= set(NOT_CREATED_BY_THE_EMULATOR), "stale exemption"

    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs == {
        "DeadLetterQueueUrl": services.physical["DeadLetterQueue"],
        "PeerRoleArn": services.role_arn("PeerRole"),
        "TransitGatewayShareArn": services.physical["TransitGatewayShare"],
        "ResolverRuleShareArn": services.physical["ResolverRuleShare"],
        "RemoteExecutionEndpointId": services.physical["RemoteExecutionEndpoint"],
        "RemoteExecutionZoneId": services.physical["RemoteExecutionZone"],
        "AstroExternalIpsPrefixListId": services.physical["AstroExternalIpsPrefixList"],
    }


def test_the_transit_gateway_share_reaches_astro(world, account_client):
    """The RAM share the stack creates is what lets Astro attach to the TGW."""
    astro_ec2 = account_client("ec2", ASTRO)
    shared = astro_ec2.describe_transit_gateways()["TransitGateways"]
    assert [t["TransitGatewayId"] for t in shared] == [world["params"]["TransitGatewayId"]]


def test_delete_stack_removes_everything(world, account_client):
    cfn_client = account_client("cloudformation", CUSTOMER)
    resources = listed(cfn_client, STACK)
    services = Services(account_client, world, {lid: pid for lid, (_, pid) in resources.items()})

    cfn_client.delete_stack(StackName=STACK)

    (stack,) = cfn_client.describe_stacks(StackName=world["stack_id"])["Stacks"]
    assert stack["StackStatus"] == "DELETE_COMPLETE"
    for lid, (rtype, _) in sorted(resources.items()):
        services.gone(lid, rtype)
    assert account_client("lambda", CUSTOMER).list_functions()["Functions"] == []
    assert account_client("cloudwatch", CUSTOMER).describe_alarms()["MetricAlarms"] == []


def test_removing_the_peer_role_changes_nothing_else(world, account_client):
    """What the peer-role function does: UpdateStack with the previous template,
    CreatePeerRole=false and UsePreviousValue for every other parameter."""
    cfn_client = account_client("cloudformation", CUSTOMER)
    before = listed(cfn_client, STACK)
    peer_role_name = before["PeerRole"][1]
    iam = account_client("iam", CUSTOMER)
    assert iam.get_role(RoleName=peer_role_name)["Role"]["RoleName"] == f"{STACK}-astro-peer-role"

    cfn_client.update_stack(
        StackName=STACK,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "CreatePeerRole", "ParameterValue": "false"}] + [
            {"ParameterKey": k, "UsePreviousValue": True} for k in world["params"] if k != "CreatePeerRole"],
        Capabilities=CAPABILITIES,
    )

    (stack,) = cfn_client.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        **world["params"], "CreatePeerRole": "false"}
    assert error_code(lambda: iam.get_role(RoleName=peer_role_name)) == "NoSuchEntity"
    after = listed(cfn_client, STACK)
    assert after == {lid: v for lid, v in before.items() if lid != "PeerRole"}, "a resource was replaced or lost"
    assert set(after) == set(declared(world, {"CreatePeerRole": "false"}))
    assert "PeerRoleArn" not in {o["OutputKey"] for o in stack["Outputs"]}

    services = Services(account_client, world, {lid: pid for lid, (_, pid) in after.items()})
    for lid, (rtype, _) in sorted(after.items()):
        services.exists(lid, rtype)


# --------------------------------------------------------------------------------------------
# The peer-role function's change set
# --------------------------------------------------------------------------------------------
CHANGE_SET_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
NO_CHANGES = ("The submitted information didn't contain changes. Submit different information to "
              "create a change set.")


def stack_values(world: dict, **values) -> dict:
    """Every parameter's value: ``values``, else what CreateStack passed, else the default."""
    defaults = {k: str(p["Default"]) for k, p in world["template"]["Parameters"].items() if "Default" in p}
    return {**defaults, **world["params"], **values}


def peer_role_change_set(cfn_client, world: dict, name: str, **values) -> str:
    """CreateChangeSet as the peer-role function makes it: the previous template,
    CreatePeerRole=false and every other parameter's previous value (unless in ``values``);
    DescribeChangeSet until it is no longer being created. Returns its ARN."""
    values = {"CreatePeerRole": "false", **values}
    change_set_id = cfn_client.create_change_set(
        StackName=STACK, ChangeSetName=name, ChangeSetType="UPDATE", UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()] + [
            {"ParameterKey": k, "UsePreviousValue": True} for k in world["params"] if k not in values],
        Capabilities=CHANGE_SET_CAPABILITIES,
    )["Id"]
    for _ in range(50):
        status = cfn_client.describe_change_set(ChangeSetName=change_set_id)["Status"]
        if status not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
            return change_set_id
    raise AssertionError(f"change set {name} still {status}")


def test_the_peer_role_change_set_removes_the_peer_role_only(world, account_client):
    """What the peer-role function does: a change set whose only change is the PeerRole's
    removal, executed; a second one has nothing left to change and fails."""
    cfn_client = account_client("cloudformation", CUSTOMER)
    iam = account_client("iam", CUSTOMER)
    before = listed(cfn_client, STACK)
    peer_role_name = before["PeerRole"][1]

    change_set = peer_role_change_set(cfn_client, world, "remove-peer-role")

    described = cfn_client.describe_change_set(ChangeSetName=change_set)
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert described["Changes"] == [{"Type": "Resource", "ResourceChange": {
        "Action": "Remove", "LogicalResourceId": "PeerRole", "PhysicalResourceId": peer_role_name,
        "ResourceType": "AWS::IAM::Role", "PolicyAction": "Delete", "Scope": [], "Details": []}}]

    cfn_client.execute_change_set(ChangeSetName=change_set)

    (stack,) = cfn_client.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == stack_values(
        world, CreatePeerRole="false")
    assert error_code(lambda: iam.get_role(RoleName=peer_role_name)) == "NoSuchEntity"
    assert listed(cfn_client, STACK) == {lid: v for lid, v in before.items() if lid != "PeerRole"}
    assert "PeerRoleArn" not in {o["OutputKey"] for o in stack["Outputs"]}

    again = peer_role_change_set(cfn_client, world, "remove-peer-role-again")
    described = cfn_client.describe_change_set(ChangeSetName=again)
    assert (described["Status"], described["ExecutionStatus"], described["StatusReason"]) == (
        "FAILED", "UNAVAILABLE", NO_CHANGES)
    cfn_client.delete_change_set(ChangeSetName=again)
    assert cfn_client.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def test_a_peer_role_change_set_that_changes_more_is_listed_whole(world, account_client):
    """With another value changed too, the change set shows each resource that uses it as
    modified besides the PeerRole's removal: the function deletes it, and nothing changes."""
    cfn_client = account_client("cloudformation", CUSTOMER)
    before = listed(cfn_client, STACK)
    using = {lid for lid, r in world["template"]["Resources"].items()
             if '{"Ref": "LogRetentionDays"}' in json.dumps(r.get("Properties", {}))}
    assert using, "no resource uses LogRetentionDays"

    change_set = peer_role_change_set(cfn_client, world, "remove-peer-role", LogRetentionDays="90")

    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
               for c in cfn_client.describe_change_set(ChangeSetName=change_set)["Changes"]}
    assert changes.pop("PeerRole")["Action"] == "Remove"
    assert set(changes) == using
    for lid, change in changes.items():
        assert (change["Action"], change["Replacement"], change["PhysicalResourceId"]) == (
            "Modify", "False", before[lid][1]), lid
        assert change["Details"] == [{
            "Target": {"Attribute": "Properties", "Name": "RetentionInDays", "RequiresRecreation": "Never"},
            "Evaluation": "Static", "ChangeSource": "ParameterReference", "CausingEntity": "LogRetentionDays"}]

    cfn_client.delete_change_set(ChangeSetName=change_set)
    assert cfn_client.list_change_sets(StackName=STACK)["Summaries"] == []
    assert listed(cfn_client, STACK) == before
    (stack,) = cfn_client.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == stack_values(world)
