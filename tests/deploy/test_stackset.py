"""The StackSet edition (tools/templates.py stackset) deployed by a service-managed StackSet
from an organization's management account to an OU of two customer accounts, in two Regions.

Per Region, the functions take their code from the bucket <CodeBucketPrefix>-<Region> of the
management account (Lambda refuses a code bucket of another Region: astro_moto.lambda_s3_ext).
Every account and Region must end up with its own stack (seen with that account's own
credentials) and its functions; the management account gets none.
"""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
from botocore.exceptions import ClientError

import cfn
from tools import templates

MANAGEMENT = "999999999999"
ASTRO = "111111111111"
REGIONS = ["us-east-1", "eu-west-1"]
STACK_SET = "astro-handshake"
CODE_BUCKET_PREFIX = "astro-handshake-code"
TEMPLATE_BUCKET = "astro-handshake-templates"
TEMPLATE_KEY = "astro-handshake/stackset.json"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]


@pytest.fixture
def organization(account_client):
    """The management account's organization: OU "Customers" holding two new accounts."""
    org = account_client("organizations", MANAGEMENT)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="Customers")["OrganizationalUnit"]["Id"]
    accounts = []
    for name in ("customer-a", "customer-b"):
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        account = org.describe_create_account_status(CreateAccountRequestId=status["Id"])[
            "CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
        accounts.append(account)
    return {"root": root, "ou": ou, "accounts": accounts}


def code_packages(tmp_path) -> dict:
    """binary -> (S3 key, zip): content-addressed keys, as `tools/templates.py stackset` makes."""
    packages = {}
    for binary in templates.binaries().values():
        path = tmp_path / binary
        path.write_bytes(b"\x7fELF stand-in for the " + binary.encode() + b" function")
        zipped = templates.zip_bootstrap(path)
        packages[binary] = (templates.code_key(binary, zipped), zipped)
    return packages


def accepter_vpcs(account_client, accounts: list) -> list:
    """One VPC per customer account and Region. A StackSet gives every instance the same
    parameter values; VPC ids are unique across accounts and Regions, so one AccepterVpcIds
    list holds every account's accepter VPCs."""
    return [
        account_client("ec2", account, region=region).create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        for account in accounts for region in REGIONS
    ]


@pytest.fixture
def deployed(account_client, organization, tmp_path):
    packages = code_packages(tmp_path)
    template = templates.stackset({binary: key for binary, (key, _) in packages.items()})
    for region in REGIONS:
        s3 = account_client("s3", MANAGEMENT, region=region)
        bucket = f"{CODE_BUCKET_PREFIX}-{region}"
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **location)
        for key, zipped in packages.values():
            s3.put_object(Bucket=bucket, Key=key, Body=zipped)
    s3 = account_client("s3", MANAGEMENT)
    s3.create_bucket(Bucket=TEMPLATE_BUCKET)
    # Larger than the 51,200 bytes CreateStackSet takes inline.
    s3.put_object(Bucket=TEMPLATE_BUCKET, Key=TEMPLATE_KEY, Body=json.dumps(template).encode())

    params = {
        "AstroAccountIds": ASTRO,
        "AstroCidrs": "10.100.0.0/16",
        "AccepterVpcIds": ",".join(accepter_vpcs(account_client, organization["accounts"])),
        "CodeBucketPrefix": CODE_BUCKET_PREFIX,
    }
    cfn_client = account_client("cloudformation", MANAGEMENT)
    cfn_client.create_stack_set(
        StackSetName=STACK_SET,
        TemplateURL=f"https://{TEMPLATE_BUCKET}.s3.amazonaws.com/{TEMPLATE_KEY}",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        Capabilities=CAPABILITIES,
    )
    # Any refusal (parameter, code bucket, template) fails the test here.
    operation = cfn_client.create_stack_instances(
        StackSetName=STACK_SET,
        DeploymentTargets={"OrganizationalUnitIds": [organization["ou"]]},
        Regions=REGIONS,
    )["OperationId"]
    return {"template": template, "params": params, "packages": packages, "operation": operation,
            **organization}


def test_the_stackset_template_is_plain_cloudformation(tmp_path):
    template = templates.stackset({binary: key for binary, (key, _) in code_packages(tmp_path).items()})
    assert "Transform" not in template
    assert not [r["Type"] for r in template["Resources"].values() if r["Type"].startswith("AWS::Serverless::")]


def test_every_account_and_region_gets_its_stack_and_functions(deployed, account_client):
    cfn_mgmt = account_client("cloudformation", MANAGEMENT)
    operation = cfn_mgmt.describe_stack_set_operation(
        StackSetName=STACK_SET, OperationId=deployed["operation"])["StackSetOperation"]
    assert operation["Status"] == "SUCCEEDED"
    instances = cfn_mgmt.list_stack_instances(StackSetName=STACK_SET)["Summaries"]
    assert sorted((i["Account"], i["Region"]) for i in instances) == sorted(
        (a, r) for a in deployed["accounts"] for r in REGIONS)
    assert {i["Status"] for i in instances} == {"CURRENT"}
    assert {i["OrganizationalUnitId"] for i in instances} == {deployed["ou"]}

    expected = cfn.Stack(deployed["params"], template=deployed["template"]).resources()
    functions = {lid for lid, r in expected.items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions == {"PeeringFunction", "PeerRoleFunction"}  # the features left at their defaults
    for account in deployed["accounts"]:
        for region in REGIONS:
            cfn_client = account_client("cloudformation", account, region=region)
            (stack,) = cfn_client.describe_stacks()["Stacks"]
            assert stack["StackName"].startswith(f"StackSet-{STACK_SET}-")
            assert stack["StackStatus"] == "CREATE_COMPLETE"
            (instance,) = [i for i in instances if (i["Account"], i["Region"]) == (account, region)]
            assert instance["StackId"] == stack["StackId"]
            assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["CodeBucketPrefix"] \
                == CODE_BUCKET_PREFIX

            summaries = cfn_client.list_stack_resources(StackName=stack["StackId"])["StackResourceSummaries"]
            assert {s["LogicalResourceId"]: s["ResourceType"] for s in summaries} == {
                lid: r["Type"] for lid, r in expected.items()}
            physical = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}

            lam = account_client("lambda", account, region=region)
            names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
            assert names == {physical[lid] for lid in functions}
            for lid in functions:
                conf = lam.get_function(FunctionName=physical[lid])["Configuration"]
                assert conf["FunctionArn"].split(":")[3:5] == [region, account]
                assert conf["Architectures"] == ["arm64"]
                _, zipped = deployed["packages"][templates.binaries()[lid]]
                assert conf["CodeSha256"] == base64.b64encode(hashlib.sha256(zipped).digest()).decode()


def test_the_management_account_gets_no_stack(deployed, account_client):
    for region in REGIONS:
        assert account_client("cloudformation", MANAGEMENT, region=region).describe_stacks()["Stacks"] == []
        assert account_client("lambda", MANAGEMENT, region=region).list_functions()["Functions"] == []


def test_an_account_joining_the_ou_gets_the_stacks(deployed, account_client):
    """AutoDeployment: a new account moved into the OU gets an instance in each Region."""
    org = account_client("organizations", MANAGEMENT)
    status = org.create_account(Email="customer-c@example.com", AccountName="customer-c")["CreateAccountStatus"]
    account = org.describe_create_account_status(CreateAccountRequestId=status["Id"])[
        "CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=account, SourceParentId=deployed["root"], DestinationParentId=deployed["ou"])
    for region in REGIONS:
        (stack,) = account_client("cloudformation", account, region=region).describe_stacks()["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert len(account_client("lambda", account, region=region).list_functions()["Functions"]) == 2


def test_the_stackset_edition_refuses_the_peer_role(deployed, account_client):
    """CreatePeerRole may only be "false" (AllowedValues), whatever the account."""
    account = deployed["accounts"][0]
    s3 = account_client("s3", account)
    s3.create_bucket(Bucket=f"templates-{account}")
    s3.put_object(Bucket=f"templates-{account}", Key="stackset.json", Body=json.dumps(deployed["template"]).encode())
    cfn_client = account_client("cloudformation", account)
    params = {**deployed["params"], "CreatePeerRole": "true", "PeerOwnerIds": "333333333333",
              "PeerRoleExternalId": "external-id", "PeerRoleExpiresAt": "2030-01-31T00:00:00Z"}
    with pytest.raises(ClientError) as e:
        cfn_client.create_stack(
            StackName="astro-handshake-peer-role",
            TemplateURL=f"https://templates-{account}.s3.amazonaws.com/stackset.json",
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
            Capabilities=CAPABILITIES,
        )
    assert e.value.response["Error"] == {
        "Type": "Sender", "Code": "ValidationError", "Message": "Parameter 'CreatePeerRole' must be one of AllowedValues"}
    roles = account_client("iam", account).list_roles()["Roles"]
    assert [r["RoleName"] for r in roles if r["RoleName"].endswith("astro-peer-role")] == []
    assert [st["StackName"] for st in cfn_client.describe_stacks()["Stacks"]
            if not st["StackName"].startswith(f"StackSet-{STACK_SET}-")] == []
