"""CloudFormation extensions (astro_moto/cfn_ext.py) over HTTP with boto3: small stacks, each
checked through CloudFormation and through the API of the service that holds the resource.

Fixtures `endpoint`, `account_client` and the per-test reset come from conftest.py.
"""
import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "222222222222"
REGION = "us-east-1"
STACK = "ext"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def params(**values):
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]


def resources(cfn, stack=STACK):
    return {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]}


def outputs(cfn, stack=STACK):
    (s,) = cfn.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


@pytest.fixture
def cfn(account_client):
    return account_client("cloudformation", ACCOUNT)


@pytest.fixture
def client(account_client):
    return lambda service: account_client(service, ACCOUNT)


def create(cfn, template, **values):
    return cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template), Parameters=params(**values),
                            Capabilities=CAPABILITIES)["StackId"]


def update(cfn, template, **values):
    cfn.update_stack(StackName=STACK, TemplateBody=json.dumps(template), Parameters=params(**values),
                     Capabilities=CAPABILITIES)


def function(role="Role", **extra):
    """An AWS::Lambda::Function with inline code."""
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.12", "Handler": "index.handler", "Code": {"ZipFile": "def handler(e, c): pass"},
        "Role": {"Fn::GetAtt": [role, "Arn"]}, **extra}}


ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": LAMBDA_TRUST}}


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------
def test_a_template_body_over_51200_bytes_goes_through_s3(cfn, client):
    template = {"Description": "x" * 1024,
                "Resources": {f"Queue{i}": {"Type": "AWS::SQS::Queue", "Metadata": {"Padding": "p" * 1000}}
                              for i in range(50)}}
    body = json.dumps(template)
    assert len(body) > 51_200
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName=STACK, TemplateBody=body)
    assert error(e) == ("ValidationError", "1 validation error detected: Value at 'templateBody' failed to "
                        "satisfy constraint: Member must have length less than or equal to 51200")
    with pytest.raises(ClientError) as e:
        cfn.create_stack_set(StackSetName="big", TemplateBody=body)
    assert error(e)[0] == "ValidationError"

    s3 = client("s3")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="big.json", Body=body.encode())
    cfn.create_stack(StackName=STACK, TemplateURL="https://templates.s3.amazonaws.com/big.json")
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


CONSTRAINED = {
    "Parameters": {
        "VpcIds": {"Type": "String", "AllowedPattern": "^vpc-[0-9a-f]{8,17}(,vpc-[0-9a-f]{8,17})*$",
                   "ConstraintDescription": "vpc- IDs separated by commas"},
        "Prefix": {"Type": "String", "Default": "a", "AllowedPattern": "[a-z]+"},
        "Mode": {"Type": "String", "Default": "ignore", "AllowedValues": ["ignore", "reject"]},
        "Days": {"Type": "Number", "Default": 90, "AllowedValues": [30, 90]},
    },
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
}


@pytest.mark.parametrize("values, message", [
    ({"VpcIds": "vpc-0123456789abcdef0 "}, "Parameter 'VpcIds' failed to satisfy constraint: vpc- IDs separated by commas"),
    ({"VpcIds": "vpc-0123456789abcdef0", "Prefix": "a1"}, "Parameter 'Prefix' must match pattern [a-z]+"),
    ({"VpcIds": "vpc-0123456789abcdef0", "Mode": "drop"}, "Parameter 'Mode' must be one of AllowedValues"),
    ({"VpcIds": "vpc-0123456789abcdef0", "Days": "7"}, "Parameter 'Days' must be one of AllowedValues"),
    ({"VpcIds": "vpc-0123456789abcdef0", "Nope": "x", "Nor": "y"}, "Parameters: [Nope, Nor] do not exist in the template"),
], ids=["pattern-with-description", "pattern", "values", "number-values", "unknown-keys"])
def test_parameter_values_are_checked(cfn, client, values, message):
    with pytest.raises(ClientError) as e:
        create(cfn, CONSTRAINED, **values)
    assert error(e) == ("ValidationError", message)
    assert client("sqs").list_queues().get("QueueUrls", []) == []


def test_valid_parameter_values_pass_on_create_and_are_checked_on_update(cfn):
    create(cfn, CONSTRAINED, VpcIds="vpc-0123456789abcdef0,vpc-0fedcba98765432", Mode="reject", Days="30")
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as e:
        update(cfn, CONSTRAINED, VpcIds="subnet-0123456789abcdef0")
    assert error(e)[1].startswith("Parameter 'VpcIds' failed to satisfy constraint")


def test_use_previous_value_of_a_parameter_left_at_its_default(cfn):
    template = {"Parameters": {"Flag": {"Type": "String"}, "Left": {"Type": "String", "Default": "default"}},
                "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    create(cfn, template, Flag="one")
    cfn.update_stack(StackName=STACK, UsePreviousTemplate=True, Parameters=[
        {"ParameterKey": "Flag", "ParameterValue": "two"}, {"ParameterKey": "Left", "UsePreviousValue": True}])
    (stack,) = cfn.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {"Flag": "two", "Left": "default"}
    with pytest.raises(ClientError) as e:
        cfn.update_stack(StackName=STACK, UsePreviousTemplate=True, Parameters=[
            {"ParameterKey": "Flag", "ParameterValue": "three"}, {"ParameterKey": "Other", "UsePreviousValue": True}])
    assert error(e)[0] == "ValidationError"


def test_list_parameters_are_lists_and_described_as_passed(cfn):
    template = {
        "Parameters": {
            "Passed": {"Type": "CommaDelimitedList"},
            "Defaulted": {"Type": "CommaDelimitedList", "Default": "x,y"},
            "Ports": {"Type": "List<Number>", "Default": "80,443"},
            "Secret": {"Type": "String", "NoEcho": True},
        },
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"Defaulted": {"Value": {"Fn::Join": ["+", {"Ref": "Defaulted"}]}},
                    "Second": {"Value": {"Fn::Select": [1, {"Ref": "Passed"}]}}},
    }
    create(cfn, template, Passed="a,b", Secret="s3cret")

    assert outputs(cfn) == {"Defaulted": "x+y", "Second": "b"}
    (stack,) = cfn.describe_stacks(StackName=STACK)["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        "Passed": "a,b", "Defaulted": "x,y", "Ports": "80,443", "Secret": "****"}


# --------------------------------------------------------------------------------------------
# Stacks
# --------------------------------------------------------------------------------------------
def test_no_value_in_a_list_drops_the_element(cfn):
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"Joined": {"Value": {"Fn::Join": [",", [
            "first", {"Fn::If": ["Never", "second", {"Ref": "AWS::NoValue"}]}, {"Ref": "AWS::NoValue"}, "last"]]}}},
    }
    create(cfn, template)
    assert outputs(cfn) == {"Joined": "first,last"}


OPTIONAL_ROLE = {
    "Parameters": {"Flag": {"Type": "String", "AllowedValues": ["on", "off"]}},
    "Conditions": {"On": {"Fn::Equals": [{"Ref": "Flag"}, "on"]},
                   "Off": {"Fn::Not": [{"Condition": "On"}]}},
    "Resources": {
        "OnlyWhenOn": {"Type": "AWS::IAM::Role", "Condition": "On", "Properties": {
            "RoleName": "only-when-on", "AssumeRolePolicyDocument": LAMBDA_TRUST}},
        "OnlyWhenOff": {"Type": "AWS::SQS::Queue", "Condition": "Off", "Properties": {"QueueName": "only-when-off"}},
        "Always": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "always"}},
    },
    "Outputs": {"RoleArn": {"Condition": "On", "Value": {"Fn::GetAtt": ["OnlyWhenOn", "Arn"]}}},
}


def queue_names(client):
    return sorted(u.rsplit("/", 1)[1] for u in client("sqs").list_queues().get("QueueUrls", []))


def test_stack_resources_are_what_the_stack_holds(cfn):
    create(cfn, OPTIONAL_ROLE, Flag="on")
    listed = resources(cfn)
    assert {lid: (r["ResourceType"], bool(r["PhysicalResourceId"])) for lid, r in listed.items()} == {
        "OnlyWhenOn": ("AWS::IAM::Role", True), "Always": ("AWS::SQS::Queue", True)}
    described = cfn.describe_stack_resources(StackName=STACK)["StackResources"]
    assert sorted(r["LogicalResourceId"] for r in described) == ["Always", "OnlyWhenOn"]
    with pytest.raises(ClientError) as e:
        cfn.describe_stack_resource(StackName=STACK, LogicalResourceId="OnlyWhenOff")
    assert error(e) == ("ValidationError", f"Resource OnlyWhenOff does not exist for stack {STACK}")


def test_update_deletes_and_creates_resources_whose_condition_flips(cfn, client):
    create(cfn, OPTIONAL_ROLE, Flag="on")
    always = resources(cfn)["Always"]["PhysicalResourceId"]
    iam = client("iam")
    assert iam.get_role(RoleName="only-when-on")["Role"]["RoleName"] == "only-when-on"
    assert queue_names(client) == ["always"]

    update(cfn, OPTIONAL_ROLE, Flag="off")
    # Created by the update itself, before anything reads the stack's resources.
    assert queue_names(client) == ["always", "only-when-off"]
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="only-when-on")
    assert error(e)[0] == "NoSuchEntity"
    listed = resources(cfn)
    assert sorted(listed) == ["Always", "OnlyWhenOff"]
    assert listed["Always"]["PhysicalResourceId"] == always
    assert outputs(cfn) == {}

    update(cfn, OPTIONAL_ROLE, Flag="on")
    assert queue_names(client) == ["always"]
    assert outputs(cfn) == {"RoleArn": iam.get_role(RoleName="only-when-on")["Role"]["Arn"]}
    assert resources(cfn)["Always"]["PhysicalResourceId"] == always


def test_a_deleted_stack_stays_deleted(cfn, client):
    stack_id = create(cfn, OPTIONAL_ROLE, Flag="on")
    cfn.delete_stack(StackName=STACK)
    (stack,) = cfn.describe_stacks(StackName=stack_id)["Stacks"]
    assert stack["StackStatus"] == "DELETE_COMPLETE"
    assert "Outputs" not in stack
    with pytest.raises(ClientError) as e:
        client("iam").get_role(RoleName="only-when-on")
    assert error(e)[0] == "NoSuchEntity"
    assert queue_names(client) == []


# --------------------------------------------------------------------------------------------
# Resource types
# --------------------------------------------------------------------------------------------
def test_vpc_endpoint_attributes_and_delete(cfn, client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    template = {"Resources": {"Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "VpcEndpointType": "Interface", "ServiceName": f"com.amazonaws.{REGION}.ssm", "VpcId": vpc,
        "SubnetIds": [subnet], "PrivateDnsEnabled": False}}},
        "Outputs": {
            "First": {"Value": {"Fn::Select": [0, {"Fn::GetAtt": ["Endpoint", "DnsEntries"]}]}},
            "Interfaces": {"Value": {"Fn::Join": [",", {"Fn::GetAtt": ["Endpoint", "NetworkInterfaceIds"]}]}},
        }}
    create(cfn, template)
    endpoint_id = resources(cfn)["Endpoint"]["PhysicalResourceId"]
    (endpoint,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    first = endpoint["DnsEntries"][0]
    assert outputs(cfn) == {"First": f"{first['HostedZoneId']}:{first['DnsName']}",
                            "Interfaces": ",".join(endpoint["NetworkInterfaceIds"])}

    cfn.delete_stack(StackName=STACK)
    states = [e["State"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["VpcEndpointId"] == endpoint_id]
    assert states in ([], ["deleted"])


def test_cloudwatch_alarm(cfn, client):
    template = {"Resources": {"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": "failures", "Namespace": "AstroHandshake", "MetricName": "Failures",
        "Dimensions": [{"Name": "Handshake", "Value": "vpc-peering"}], "Statistic": "Sum", "Period": 300,
        "EvaluationPeriods": 1, "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching", "AlarmActions": ["arn:aws:sns:us-east-1:222222222222:alarms"]}}},
        "Outputs": {"Name": {"Value": {"Ref": "Alarm"}}, "Arn": {"Value": {"Fn::GetAtt": ["Alarm", "Arn"]}}}}
    create(cfn, template)
    name = resources(cfn)["Alarm"]["PhysicalResourceId"]
    assert name.startswith(f"{STACK}-Alarm-")
    cloudwatch = client("cloudwatch")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]) == ("AstroHandshake", "Failures", 0)
    assert alarm["Dimensions"] == [{"Name": "Handshake", "Value": "vpc-peering"}]
    assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:222222222222:alarms"]
    assert alarm["TreatMissingData"] == "notBreaching"
    assert outputs(cfn) == {"Name": name, "Arn": alarm["AlarmArn"]}
    cfn.delete_stack(StackName=STACK)
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []


LAMBDA_EXTRAS = {
    "Parameters": {"Flag": {"Type": "String", "AllowedValues": ["on", "off"]}},
    "Conditions": {"On": {"Fn::Equals": [{"Ref": "Flag"}, "on"]}},
    "Resources": {
        "Role": ROLE,
        "Function": function(),
        "InvokeConfig": {"Type": "AWS::Lambda::EventInvokeConfig", "Condition": "On", "Properties": {
            "FunctionName": {"Ref": "Function"}, "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 600}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {
            "ScheduleExpression": "rate(5 minutes)",
            "Targets": [{"Id": "fn", "Arn": {"Fn::GetAtt": ["Function", "Arn"]}}]}},
        "Permission": {"Type": "AWS::Lambda::Permission", "Condition": "On", "Properties": {
            "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "Function"},
            "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["Rule", "Arn"]}}},
    },
    "Outputs": {"PermissionId": {"Condition": "On", "Value": {"Ref": "Permission"}}},
}


def test_lambda_event_invoke_config_and_permission(cfn, client):
    create(cfn, LAMBDA_EXTRAS, Flag="on")
    listed = resources(cfn)
    function_name = listed["Function"]["PhysicalResourceId"]
    sid = listed["Permission"]["PhysicalResourceId"]
    assert sid.startswith(f"{STACK}-Permission-")
    assert listed["InvokeConfig"]["PhysicalResourceId"] == f"{function_name}|$LATEST"
    assert outputs(cfn) == {"PermissionId": sid}
    lam = client("lambda")
    config = lam.get_function_event_invoke_config(FunctionName=function_name)
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (1, 600)
    (statement,) = json.loads(lam.get_policy(FunctionName=function_name)["Policy"])["Statement"]
    assert statement["Sid"] == sid
    rule_arn = client("events").describe_rule(Name=listed["Rule"]["PhysicalResourceId"])["Arn"]
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == rule_arn

    update(cfn, LAMBDA_EXTRAS, Flag="off")
    with pytest.raises(ClientError) as e:
        lam.get_function_event_invoke_config(FunctionName=function_name)
    assert error(e)[0] == "ResourceNotFoundException"
    assert policy_statements(lam, function_name) == []
    assert sorted(resources(cfn)) == ["Function", "Role", "Rule"]


def policy_statements(lam, function_name):
    try:
        return json.loads(lam.get_policy(FunctionName=function_name)["Policy"])["Statement"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException"
        return []


def test_ram_resource_share(cfn, client):
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {"Share": {"Type": "AWS::RAM::ResourceShare", "Properties": {
            "Name": "astro-transit-gateway", "AllowExternalPrincipals": "true",
            "Principals": {"Fn::Split": [",", "111111111111,555555555555"]},
            "ResourceArns": [
                f"arn:aws:ec2:{REGION}:{ACCOUNT}:transit-gateway/tgw-0123456789abcdef0",
                {"Fn::If": ["Never", "arn:aws:ec2:us-east-1:222222222222:transit-gateway/tgw-1",
                            {"Ref": "AWS::NoValue"}]}]}}},
        "Outputs": {"Ref": {"Value": {"Ref": "Share"}}, "Arn": {"Value": {"Fn::GetAtt": ["Share", "Arn"]}}},
    }
    create(cfn, template)
    arn = resources(cfn)["Share"]["PhysicalResourceId"]
    assert outputs(cfn) == {"Ref": arn, "Arn": arn}
    ram = client("ram")
    (share,) = ram.get_resource_shares(resourceOwner="SELF")["resourceShares"]
    assert (share["resourceShareArn"], share["name"], share["status"]) == (arn, "astro-transit-gateway", "ACTIVE")
    principals = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[arn])
    assert sorted(a["associatedEntity"] for a in principals["resourceShareAssociations"]) == [
        "111111111111", "555555555555"]
    shared = ram.get_resource_share_associations(associationType="RESOURCE", resourceShareArns=[arn])
    assert [a["associatedEntity"] for a in shared["resourceShareAssociations"]] == [
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:transit-gateway/tgw-0123456789abcdef0"]
    cfn.delete_stack(StackName=STACK)
    assert [s["status"] for s in ram.get_resource_shares(resourceOwner="SELF")["resourceShares"]] == ["DELETED"]


def test_sqs_queue_policy(cfn, client):
    template = {
        "Parameters": {"Flag": {"Type": "String"}},
        "Conditions": {"On": {"Fn::Equals": [{"Ref": "Flag"}, "on"]}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Policy": {"Type": "AWS::SQS::QueuePolicy", "Condition": "On", "Properties": {
                "Queues": [{"Ref": "Queue"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "EventBridge", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}]}}},
        },
    }
    create(cfn, template, Flag="on")
    url = resources(cfn)["Queue"]["PhysicalResourceId"]
    sqs = client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "QueueArn"])["Attributes"]
    (statement,) = json.loads(attrs["Policy"])["Statement"]
    assert (statement["Sid"], statement["Resource"]) == ("EventBridge", attrs["QueueArn"])
    update(cfn, template, Flag="off")
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})


def test_private_hosted_zone(cfn, client):
    vpc = client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    template = {"Resources": {"Zone": {"Type": "AWS::Route53::HostedZone", "Properties": {
        "Name": "external.astronomer.run", "HostedZoneConfig": {"Comment": "Remote Execution"},
        "VPCs": [{"VPCId": vpc, "VPCRegion": REGION}]}}}}
    create(cfn, template)
    zone_id = resources(cfn)["Zone"]["PhysicalResourceId"]
    r53 = client("route53")
    zone = r53.get_hosted_zone(Id=zone_id)
    assert zone["HostedZone"]["Name"] == "external.astronomer.run."
    assert zone["HostedZone"]["Config"] == {"Comment": "Remote Execution", "PrivateZone": True}
    assert zone["VPCs"] == [{"VPCRegion": REGION, "VPCId": vpc}]
    by_vpc = r53.list_hosted_zones_by_vpc(VPCId=vpc, VPCRegion=REGION)["HostedZoneSummaries"]
    assert [z["HostedZoneId"] for z in by_vpc] == [zone_id]
    cfn.delete_stack(StackName=STACK)
    with pytest.raises(ClientError) as e:
        r53.get_hosted_zone(Id=zone_id)
    assert error(e)[0] == "NoSuchHostedZone"


def test_security_group_egress_and_descriptions(cfn, client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    template = {"Resources": {"Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "endpoint", "VpcId": vpc,
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.20.0.0/16",
                                  "Description": "agents"}],
        "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "127.0.0.1/32", "Description": "No egress"}]}}}}
    create(cfn, template)
    group_id = resources(cfn)["Group"]["PhysicalResourceId"]
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert [(p["IpProtocol"], p["FromPort"], p["IpRanges"]) for p in group["IpPermissions"]] == [
        ("tcp", 443, [{"CidrIp": "10.20.0.0/16", "Description": "agents"}])]
    assert [(p["IpProtocol"], p["IpRanges"]) for p in group["IpPermissionsEgress"]] == [
        ("-1", [{"CidrIp": "127.0.0.1/32", "Description": "No egress"}])]


def test_lambda_function_properties(cfn, client):
    template = {"Resources": {
        "Role": ROLE,
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/ext/fn"}},
        "Function": function(
            Architectures=["arm64"], Tags=[{"Key": "team", "Value": "network"}],
            LoggingConfig={"LogFormat": "JSON", "LogGroup": {"Ref": "Logs"}},
            DeadLetterConfig={"TargetArn": {"Fn::GetAtt": ["Queue", "Arn"]}}),
    }}
    create(cfn, template)
    listed = resources(cfn)
    got = client("lambda").get_function(FunctionName=listed["Function"]["PhysicalResourceId"])
    conf = got["Configuration"]
    queue_arn = client("sqs").get_queue_attributes(
        QueueUrl=listed["Queue"]["PhysicalResourceId"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert conf["Architectures"] == ["arm64"]
    assert got["Tags"]["team"] == "network"
    assert conf["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/ext/fn"}
    assert conf["DeadLetterConfig"] == {"TargetArn": queue_arn}


def test_iam_role_inline_policy_is_json_and_updates_in_place(cfn, client):
    template = {
        "Parameters": {"Bucket": {"Type": "String"}},
        "Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": LAMBDA_TRUST, "MaxSessionDuration": 7200,
            "Policies": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
                "Resource": {"Fn::Sub": "arn:aws:s3:::${Bucket}/*"}}]}}]}}},
    }
    create(cfn, template, Bucket="first")
    name = resources(cfn)["Role"]["PhysicalResourceId"]
    iam = client("iam")
    doc = iam.get_role_policy(RoleName=name, PolicyName="read")["PolicyDocument"]
    assert doc["Statement"][0]["Resource"] == "arn:aws:s3:::first/*"

    update(cfn, template, Bucket="second")
    assert resources(cfn)["Role"]["PhysicalResourceId"] == name
    doc = iam.get_role_policy(RoleName=name, PolicyName="read")["PolicyDocument"]
    assert doc["Statement"][0]["Resource"] == "arn:aws:s3:::second/*"
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 7200


def test_lambda_logging_and_dead_letter_config_through_the_api(client):
    role = client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    lam = client("lambda")
    created = lam.create_function(
        FunctionName="fn", Runtime="python3.12", Handler="index.handler", Role=role,
        Code={"ZipFile": _zip("def handler(e, c): pass")},
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/fn/logs"},
        DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:222222222222:dlq"})
    assert created["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/fn/logs"}
    lam.update_function_configuration(FunctionName="fn", DeadLetterConfig={
        "TargetArn": "arn:aws:sqs:us-east-1:222222222222:other"})
    conf = lam.get_function_configuration(FunctionName="fn")
    assert conf["DeadLetterConfig"] == {"TargetArn": "arn:aws:sqs:us-east-1:222222222222:other"}
    assert conf["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/fn/logs"}


def _zip(code):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", code)
    return buf.getvalue()
