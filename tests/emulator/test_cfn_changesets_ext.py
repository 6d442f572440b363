"""CloudFormation change set extensions (astro_moto/cfn_changesets_ext.py) over HTTP with boto3:
the peer-role function's way of removing the PeerRole. CreateChangeSet with the previous
template, CreatePeerRole=false and every other parameter's previous value; DescribeChangeSet;
ExecuteChangeSet only if the one change is the PeerRole's removal, else DeleteChangeSet.

The template is small: a conditional AWS::IAM::Role (PeerRole, Condition PeerRoleEnabled) and an
SQS queue whose name references another parameter.
"""
import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "222222222222"
STACK = "peer"
ROLE_NAME = f"{STACK}-astro-peer-role"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
NO_CHANGES = ("The submitted information didn't contain changes. Submit different information to "
              "create a change set.")

TEMPLATE = {
    "Parameters": {
        "CreatePeerRole": {"Type": "String", "Default": "false", "AllowedValues": ["true", "false"]},
        "QueueSuffix": {"Type": "String", "Default": "a"},
        "PeerOwnerIds": {"Type": "CommaDelimitedList", "Default": "333333333333"},
    },
    "Conditions": {"PeerRoleEnabled": {"Fn::Equals": [{"Ref": "CreatePeerRole"}, "true"]}},
    "Resources": {
        "PeerRole": {
            "Type": "AWS::IAM::Role",
            "Condition": "PeerRoleEnabled",
            "Properties": {
                "RoleName": {"Fn::Sub": "${AWS::StackName}-astro-peer-role"},
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": {"Ref": "PeerOwnerIds"}}, "Action": "sts:AssumeRole"}]},
            },
        },
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "work-${QueueSuffix}"}}},
    },
    "Outputs": {
        "QueueUrl": {"Value": {"Ref": "Queue"}},
        "PeerRoleArn": {"Condition": "PeerRoleEnabled", "Value": {"Fn::GetAtt": ["PeerRole", "Arn"]}},
    },
}


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def cfn(account_client):
    return account_client("cloudformation", ACCOUNT)


@pytest.fixture
def iam(account_client):
    return account_client("iam", ACCOUNT)


def create_stack(cfn, stack=STACK, **values):
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(TEMPLATE), Capabilities=CAPABILITIES,
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()])


def remove_peer_role(cfn, name="remove-peer-role", stack=STACK, **values):
    """CreateChangeSet as the peer-role function makes it: the previous template,
    CreatePeerRole=false, every other parameter's previous value (unless given in ``values``)."""
    values = {"CreatePeerRole": "false", **values}
    params = [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]
    params += [{"ParameterKey": k, "UsePreviousValue": True} for k in TEMPLATE["Parameters"] if k not in values]
    return cfn.create_change_set(StackName=stack, ChangeSetName=name, ChangeSetType="UPDATE",
                                 UsePreviousTemplate=True, Parameters=params, Capabilities=CAPABILITIES)


def stack_of(cfn, stack=STACK):
    (s,) = cfn.describe_stacks(StackName=stack)["Stacks"]
    return s


def outputs(cfn, stack=STACK):
    return {o["OutputKey"]: o["OutputValue"] for o in stack_of(cfn, stack).get("Outputs", [])}


def parameters(described):
    return {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}


def resources(cfn, stack=STACK):
    return {r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]}


REMOVE_PEER_ROLE = {"Type": "Resource", "ResourceChange": {
    "Action": "Remove", "LogicalResourceId": "PeerRole", "PhysicalResourceId": ROLE_NAME,
    "ResourceType": "AWS::IAM::Role", "PolicyAction": "Delete", "Scope": [], "Details": []}}


# --------------------------------------------------------------------------------------------
# The change set of a flipped Condition
# --------------------------------------------------------------------------------------------
def test_turning_the_condition_off_removes_the_peer_role_and_nothing_else(cfn, iam):
    create_stack(cfn, CreatePeerRole="true", PeerOwnerIds="333333333333,444444444444")
    created = remove_peer_role(cfn)

    described = cfn.describe_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert described["ChangeSetId"] == created["Id"] and described["StackId"] == created["StackId"]
    assert described["Changes"] == [REMOVE_PEER_ROLE]
    assert parameters(described) == {"CreatePeerRole": "false", "QueueSuffix": "a",
                                     "PeerOwnerIds": "333333333333,444444444444"}
    assert described["Capabilities"] == CAPABILITIES
    assert cfn.describe_change_set(ChangeSetName=created["Id"])["Changes"] == [REMOVE_PEER_ROLE]
    # nothing happens before it is executed
    assert stack_of(cfn)["StackStatus"] == "CREATE_COMPLETE"
    assert iam.get_role(RoleName=ROLE_NAME)["Role"]["RoleName"] == ROLE_NAME
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName=STACK)["Summaries"]] == ["remove-peer-role"]


def test_executing_it_deletes_the_role_and_updates_the_stack(cfn, iam):
    create_stack(cfn, CreatePeerRole="true")
    queue_url = resources(cfn)["Queue"]
    remove_peer_role(cfn)

    cfn.execute_change_set(StackName=STACK, ChangeSetName="remove-peer-role")

    stack = stack_of(cfn)
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert parameters(stack) == {"CreatePeerRole": "false", "QueueSuffix": "a", "PeerOwnerIds": "333333333333"}
    assert outputs(cfn) == {"QueueUrl": queue_url}
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=ROLE_NAME)
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert resources(cfn) == {"Queue": queue_url}
    described = cfn.describe_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "EXECUTE_COMPLETE")
    with pytest.raises(ClientError) as e:
        cfn.execute_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    assert error(e) == ("InvalidChangeSetStatus", f"ChangeSet [{described['ChangeSetId']}] cannot be executed "
                        "in its current execution status of [EXECUTE_COMPLETE]", 400)


def test_turning_the_condition_on_adds_the_peer_role(cfn, iam):
    create_stack(cfn)
    cfn.create_change_set(StackName=STACK, ChangeSetName="add", ChangeSetType="UPDATE", UsePreviousTemplate=True,
                          Parameters=[{"ParameterKey": "CreatePeerRole", "ParameterValue": "true"}],
                          Capabilities=CAPABILITIES)

    described = cfn.describe_change_set(StackName=STACK, ChangeSetName="add")
    assert described["Changes"] == [{"Type": "Resource", "ResourceChange": {
        "Action": "Add", "LogicalResourceId": "PeerRole", "ResourceType": "AWS::IAM::Role",
        "Scope": [], "Details": []}}]
    cfn.execute_change_set(StackName=STACK, ChangeSetName="add")
    assert iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"] == outputs(cfn)["PeerRoleArn"]


def test_another_changed_value_shows_the_resources_using_it_as_modified(cfn, iam):
    create_stack(cfn, CreatePeerRole="true")
    before = resources(cfn)
    remove_peer_role(cfn, QueueSuffix="b")

    described = cfn.describe_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    assert described["Changes"] == [
        {"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "Queue", "PhysicalResourceId": before["Queue"],
            "ResourceType": "AWS::SQS::Queue", "Replacement": "True", "PolicyAction": "ReplaceAndDelete",
            "Scope": ["Properties"],
            "Details": [{"Target": {"Attribute": "Properties", "Name": "QueueName", "RequiresRecreation": "Always"},
                         "Evaluation": "Static", "ChangeSource": "ParameterReference", "CausingEntity": "QueueSuffix"}]}},
        REMOVE_PEER_ROLE,
    ]
    # Not only the PeerRole's removal: the function deletes the change set.
    cfn.delete_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    with pytest.raises(ClientError) as e:
        cfn.describe_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    assert error(e) == ("ChangeSetNotFound", "ChangeSet [remove-peer-role] does not exist", 404)
    assert cfn.list_change_sets(StackName=STACK)["Summaries"] == []
    assert resources(cfn) == before
    assert iam.get_role(RoleName=ROLE_NAME)["Role"]["RoleName"] == ROLE_NAME
    assert stack_of(cfn)["StackStatus"] == "CREATE_COMPLETE"


def test_a_changed_template_property_is_a_direct_modification(cfn):
    create_stack(cfn, CreatePeerRole="true")
    template = json.loads(json.dumps(TEMPLATE))
    template["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 60
    cfn.create_change_set(StackName=STACK, ChangeSetName="timeout", ChangeSetType="UPDATE",
                          TemplateBody=json.dumps(template), Capabilities=CAPABILITIES,
                          Parameters=[{"ParameterKey": k, "UsePreviousValue": True} for k in TEMPLATE["Parameters"]])

    (change,) = cfn.describe_change_set(StackName=STACK, ChangeSetName="timeout")["Changes"]
    assert change["ResourceChange"]["Action"] == "Modify"
    assert change["ResourceChange"]["Replacement"] == "False"
    assert "PolicyAction" not in change["ResourceChange"]
    assert change["ResourceChange"]["Details"] == [{
        "Target": {"Attribute": "Properties", "Name": "VisibilityTimeout", "RequiresRecreation": "Never"},
        "Evaluation": "Static", "ChangeSource": "DirectModification"}]


# --------------------------------------------------------------------------------------------
# Nothing to change
# --------------------------------------------------------------------------------------------
def test_a_change_set_without_changes_ends_failed_with_the_reason(cfn):
    create_stack(cfn, CreatePeerRole="false", PeerOwnerIds="333333333333,444444444444")
    created = remove_peer_role(cfn)

    described = cfn.describe_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    assert (described["Status"], described["ExecutionStatus"], described["StatusReason"]) == (
        "FAILED", "UNAVAILABLE", NO_CHANGES)
    assert described["Changes"] == []
    with pytest.raises(ClientError) as e:
        cfn.execute_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    assert error(e) == ("InvalidChangeSetStatus",
                        f"ChangeSet [{created['Id']}] cannot be executed in its current status of [FAILED]", 400)
    cfn.delete_change_set(ChangeSetName=created["Id"])
    assert cfn.list_change_sets(StackName=STACK)["Summaries"] == []
    assert stack_of(cfn)["StackStatus"] == "CREATE_COMPLETE"


def test_use_previous_value_keeps_the_value_passed_last(cfn):
    create_stack(cfn, CreatePeerRole="true", PeerOwnerIds="333333333333,444444444444", QueueSuffix="x")
    remove_peer_role(cfn)
    cfn.execute_change_set(StackName=STACK, ChangeSetName="remove-peer-role")
    assert parameters(stack_of(cfn)) == {
        "CreatePeerRole": "false", "QueueSuffix": "x", "PeerOwnerIds": "333333333333,444444444444"}

    with pytest.raises(ClientError) as e:
        cfn.create_change_set(StackName=STACK, ChangeSetName="bad", ChangeSetType="UPDATE", UsePreviousTemplate=True,
                              Parameters=[{"ParameterKey": "Nope", "UsePreviousValue": True}])
    assert error(e) == ("ValidationError", "Invalid input for parameter key Nope. Cannot specify usePreviousValue "
                        "as true for a parameter key not in the previous template", 400)


# --------------------------------------------------------------------------------------------
# Change sets of a stack
# --------------------------------------------------------------------------------------------
def test_change_sets_are_those_of_the_named_stack(cfn):
    create_stack(cfn, CreatePeerRole="true")
    create_stack(cfn, stack="other", CreatePeerRole="false")
    mine = remove_peer_role(cfn)["Id"]
    theirs = remove_peer_role(cfn, stack="other")["Id"]

    assert cfn.describe_change_set(StackName=STACK, ChangeSetName="remove-peer-role")["ChangeSetId"] == mine
    assert cfn.describe_change_set(StackName="other", ChangeSetName="remove-peer-role")["ChangeSetId"] == theirs
    assert [s["ChangeSetId"] for s in cfn.list_change_sets(StackName="other")["Summaries"]] == [theirs]
    cfn.delete_change_set(StackName="other", ChangeSetName="remove-peer-role")
    assert cfn.describe_change_set(ChangeSetName=mine)["Status"] == "CREATE_COMPLETE"

    for call in (lambda: cfn.describe_change_set(StackName=STACK, ChangeSetName="nope"),
                 lambda: cfn.execute_change_set(StackName=STACK, ChangeSetName="nope")):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("ChangeSetNotFound", "ChangeSet [nope] does not exist", 404)
    cfn.delete_change_set(StackName=STACK, ChangeSetName="nope")  # nothing to delete: no error
    with pytest.raises(ClientError) as e:
        cfn.describe_change_set(ChangeSetName="remove-peer-role")
    assert error(e)[:2] == ("ValidationError",
                            "StackName must be specified if ChangeSetName is not specified as an ARN.")


def test_executing_one_deletes_the_others_and_update_stack_makes_them_obsolete(cfn):
    create_stack(cfn, CreatePeerRole="true")
    remove_peer_role(cfn, name="first")
    remove_peer_role(cfn, name="second", QueueSuffix="b")

    cfn.execute_change_set(StackName=STACK, ChangeSetName="first")

    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName=STACK)["Summaries"]] == ["first"]
    with pytest.raises(ClientError) as e:
        cfn.describe_change_set(StackName=STACK, ChangeSetName="second")
    assert error(e)[0] == "ChangeSetNotFound"

    third = remove_peer_role(cfn, name="third", QueueSuffix="c")["Id"]
    cfn.update_stack(StackName=STACK, UsePreviousTemplate=True, Capabilities=CAPABILITIES,
                     Parameters=[{"ParameterKey": "QueueSuffix", "ParameterValue": "d"}])
    assert cfn.describe_change_set(ChangeSetName=third)["ExecutionStatus"] == "OBSOLETE"
    with pytest.raises(ClientError) as e:
        cfn.execute_change_set(ChangeSetName=third)
    assert error(e) == ("InvalidChangeSetStatus",
                        f"ChangeSet [{third}] cannot be executed in its current execution status of [OBSOLETE]", 400)


def test_resources_reading_a_replaced_resource_are_modified_dynamically(cfn):
    template = json.loads(json.dumps(TEMPLATE))
    template["Resources"]["QueuePolicy"] = {"Type": "AWS::SQS::QueuePolicy", "Properties": {
        "Queues": [{"Ref": "Queue"}],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}]}}}
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template), Capabilities=CAPABILITIES)
    cfn.create_change_set(StackName=STACK, ChangeSetName="rename", ChangeSetType="UPDATE", UsePreviousTemplate=True,
                          Parameters=[{"ParameterKey": "QueueSuffix", "ParameterValue": "b"}], Capabilities=CAPABILITIES)

    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
               for c in cfn.describe_change_set(StackName=STACK, ChangeSetName="rename")["Changes"]}
    assert set(changes) == {"Queue", "QueuePolicy"}
    assert changes["Queue"]["Replacement"] == "True"
    policy = changes["QueuePolicy"]
    assert (policy["Action"], policy["Replacement"], policy["Scope"]) == ("Modify", "False", ["Properties"])
    assert policy["Details"] == [
        {"Target": {"Attribute": "Properties", "Name": "Queues", "RequiresRecreation": "Never"},
         "Evaluation": "Dynamic", "ChangeSource": "ResourceReference", "CausingEntity": "Queue"},
        {"Target": {"Attribute": "Properties", "Name": "PolicyDocument", "RequiresRecreation": "Never"},
         "Evaluation": "Dynamic", "ChangeSource": "ResourceAttribute", "CausingEntity": "Queue.Arn"},
    ]


def test_a_change_set_names_its_stack_by_name_or_by_id(cfn):
    """CreateChangeSet's StackName is "the name or the unique ID of the stack"."""
    create_stack(cfn, CreatePeerRole="true")
    stack_id = stack_of(cfn)["StackId"]
    remove_peer_role(cfn, stack=stack_id)
    described = cfn.describe_change_set(StackName=stack_id, ChangeSetName="remove-peer-role")
    assert described["StackId"] == stack_id
    assert [c["ResourceChange"]["LogicalResourceId"] for c in described["Changes"]] == ["PeerRole"]
    names = [s["ChangeSetName"] for s in cfn.list_change_sets(StackName=stack_id)["Summaries"]]
    assert names == ["remove-peer-role"]


def test_a_change_set_name_is_unique_per_stack(cfn):
    create_stack(cfn, CreatePeerRole="true")
    remove_peer_role(cfn)
    with pytest.raises(ClientError) as e:
        remove_peer_role(cfn)
    assert error(e)[0] == "AlreadyExistsException"
