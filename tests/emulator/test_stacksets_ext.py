"""StackSets extensions (astro_moto/stacksets_ext.py) over HTTP with boto3: service-managed
StackSets deployed to AWS Organizations OUs, each stack instance a real stack in its account.

Fixtures `endpoint`, `account_client` and the per-test reset come from conftest.py.
"""
import json

import pytest

MANAGEMENT = "999999999999"
REGIONS = ["us-east-1", "eu-west-1"]
TEMPLATE = json.dumps({
    "Parameters": {"Team": {"Type": "String"}, "Mode": {"Type": "String", "Default": "plain"}},
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {"Mode": {"Value": {"Ref": "Mode"}}},
})


@pytest.fixture
def org(account_client):
    return account_client("organizations", MANAGEMENT)


@pytest.fixture
def cfn(account_client):
    return account_client("cloudformation", MANAGEMENT)


@pytest.fixture
def tree(org):
    """root > A > B > C; accounts a1, a2 in A, b1 in B, c1 in C, outside in the root."""
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ous = {"root": root}
    parent = root
    for name in ("A", "B", "C"):
        parent = ous[name] = org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
    accounts = {}
    for name, ou in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("c1", "C"), ("outside", None)):
        accounts[name] = new_account(org, name)
        if ou:
            org.move_account(AccountId=accounts[name], SourceParentId=root, DestinationParentId=ous[ou])
    return {"ous": ous, "accounts": accounts}


def new_account(org, name):
    status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
    return org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]["AccountId"]


def stack_set(cfn, name="handshake", **extra):
    cfn.create_stack_set(StackSetName=name, TemplateBody=TEMPLATE, PermissionModel="SERVICE_MANAGED",
                         Parameters=[{"ParameterKey": "Team", "ParameterValue": "network"}], **extra)


def stacks_of(account_client, account, region):
    return account_client("cloudformation", account, region=region).describe_stacks()["Stacks"]


def instances(cfn, name="handshake"):
    return cfn.list_stack_instances(StackSetName=name)["Summaries"]


def test_each_instance_is_a_stack_in_its_account_and_region(cfn, tree, account_client):
    stack_set(cfn)
    cfn.create_stack_instances(StackSetName="handshake", Regions=REGIONS,
                               DeploymentTargets={"OrganizationalUnitIds": [tree["ous"]["C"]]})
    c1 = tree["accounts"]["c1"]
    summaries = instances(cfn)
    assert sorted((i["Account"], i["Region"]) for i in summaries) == [(c1, "eu-west-1"), (c1, "us-east-1")]
    for summary in summaries:
        (stack,) = stacks_of(account_client, c1, summary["Region"])
        assert stack["StackName"].startswith("StackSet-handshake-")
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert stack["StackId"] == summary["StackId"]
        assert summary["OrganizationalUnitId"] == tree["ous"]["C"]
        queues = account_client("sqs", c1, region=summary["Region"]).list_queues()["QueueUrls"]
        assert len(queues) == 1


def test_child_ous_are_targeted_and_the_management_account_never_is(cfn, tree, account_client):
    stack_set(cfn)
    cfn.create_stack_instances(StackSetName="handshake", Regions=["us-east-1"],
                               DeploymentTargets={"OrganizationalUnitIds": [tree["ous"]["A"]]})
    accounts = tree["accounts"]
    assert sorted(i["Account"] for i in instances(cfn)) == sorted([accounts["a1"], accounts["a2"], accounts["b1"],
                                                                   accounts["c1"]])

    stack_set(cfn, name="everywhere")
    cfn.create_stack_instances(StackSetName="everywhere", Regions=["us-east-1"],
                               DeploymentTargets={"OrganizationalUnitIds": [tree["ous"]["root"]]})
    assert sorted(i["Account"] for i in instances(cfn, "everywhere")) == sorted(accounts.values())
    assert stacks_of(account_client, MANAGEMENT, "us-east-1") == []


def test_account_filter(cfn, tree):
    accounts = tree["accounts"]
    stack_set(cfn)
    cfn.create_stack_instances(StackSetName="handshake", Regions=["us-east-1"], DeploymentTargets={
        "OrganizationalUnitIds": [tree["ous"]["A"]], "Accounts": [accounts["b1"]], "AccountFilterType": "DIFFERENCE"})
    assert sorted(i["Account"] for i in instances(cfn)) == sorted([accounts["a1"], accounts["a2"], accounts["c1"]])


def test_parameter_overrides_replace_only_the_keys_they_name(cfn, tree, account_client):
    stack_set(cfn)
    cfn.create_stack_instances(
        StackSetName="handshake", Regions=["us-east-1"],
        DeploymentTargets={"OrganizationalUnitIds": [tree["ous"]["C"]]},
        ParameterOverrides=[{"ParameterKey": "Mode", "ParameterValue": "overridden"}])
    (stack,) = stacks_of(account_client, tree["accounts"]["c1"], "us-east-1")
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        "Team": "network", "Mode": "overridden"}
    instance = cfn.describe_stack_instance(StackSetName="handshake", StackInstanceAccount=tree["accounts"]["c1"],
                                           StackInstanceRegion="us-east-1")["StackInstance"]
    assert instance["ParameterOverrides"] == [{"ParameterKey": "Mode", "ParameterValue": "overridden"}]
    assert instance["StackId"] == stack["StackId"]


def test_auto_deployment_follows_accounts_in_and_out_of_the_ou(cfn, org, tree, account_client):
    stack_set(cfn, AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False})
    assert cfn.describe_stack_set(StackSetName="handshake")["StackSet"]["AutoDeployment"] == {
        "Enabled": True, "RetainStacksOnAccountRemoval": False}
    cfn.create_stack_instances(StackSetName="handshake", Regions=REGIONS,
                               DeploymentTargets={"OrganizationalUnitIds": [tree["ous"]["B"]]})
    ous, outside = tree["ous"], tree["accounts"]["outside"]
    org.move_account(AccountId=outside, SourceParentId=ous["root"], DestinationParentId=ous["C"])
    for region in REGIONS:
        (stack,) = stacks_of(account_client, outside, region)
        assert stack["StackStatus"] == "CREATE_COMPLETE"
    org.move_account(AccountId=outside, SourceParentId=ous["C"], DestinationParentId=ous["root"])
    for region in REGIONS:
        assert stacks_of(account_client, outside, region) == []
    assert outside not in {i["Account"] for i in instances(cfn)}


def test_delete_stack_instances_by_ou_and_retain_stacks(cfn, tree, account_client):
    stack_set(cfn)
    cfn.create_stack_instances(StackSetName="handshake", Regions=REGIONS,
                               DeploymentTargets={"OrganizationalUnitIds": [tree["ous"]["B"]]})
    b1, c1 = tree["accounts"]["b1"], tree["accounts"]["c1"]
    (kept,) = stacks_of(account_client, b1, "eu-west-1")

    cfn.delete_stack_instances(StackSetName="handshake", Regions=["eu-west-1"], RetainStacks=True,
                               DeploymentTargets={"OrganizationalUnitIds": [tree["ous"]["C"]]})
    assert sorted((i["Account"], i["Region"]) for i in instances(cfn)) == sorted(
        [(b1, "us-east-1"), (b1, "eu-west-1"), (c1, "us-east-1")])
    assert [s["StackStatus"] for s in stacks_of(account_client, c1, "eu-west-1")] == ["CREATE_COMPLETE"]

    cfn.delete_stack_instances(StackSetName="handshake", Regions=["eu-west-1"], RetainStacks=False,
                               DeploymentTargets={"OrganizationalUnitIds": [tree["ous"]["B"]]})
    assert stacks_of(account_client, b1, "eu-west-1") == []
    gone = account_client("cloudformation", b1, region="eu-west-1").describe_stacks(StackName=kept["StackId"])
    assert gone["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert sorted((i["Account"], i["Region"]) for i in instances(cfn)) == sorted([(b1, "us-east-1"), (c1, "us-east-1")])


def test_self_managed_stacks_are_named_like_aws_names_them(cfn, account_client):
    cfn.create_stack_set(StackSetName="self", TemplateBody=TEMPLATE,
                         Parameters=[{"ParameterKey": "Team", "ParameterValue": "network"}])
    cfn.create_stack_instances(StackSetName="self", Accounts=["444444444444"], Regions=["us-east-1"])
    (stack,) = stacks_of(account_client, "444444444444", "us-east-1")
    assert stack["StackName"].startswith("StackSet-self-")
    assert instances(cfn, "self")[0]["StackId"] == stack["StackId"]
