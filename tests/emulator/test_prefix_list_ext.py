"""AWS::EC2::PrefixList through CloudFormation (astro_moto.prefix_list_ext)."""
import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "222222222222"


def template(entries, max_entries=4):
    return json.dumps({
        "Resources": {
            "Ips": {
                "Type": "AWS::EC2::PrefixList",
                "Properties": {
                    "PrefixListName": "astro-external-ips",
                    "AddressFamily": "IPv4",
                    "MaxEntries": max_entries,
                    "Entries": [{"Cidr": c, "Description": "Astro"} for c in entries],
                },
            }
        },
        "Outputs": {"Id": {"Value": {"Ref": "Ips"}},
                    "Arn": {"Value": {"Fn::GetAtt": ["Ips", "Arn"]}}},
    })


def cidrs(ec2, pl_id):
    return sorted(e["Cidr"] for e in ec2.get_managed_prefix_list_entries(PrefixListId=pl_id)["Entries"])


def test_a_stack_creates_updates_and_deletes_the_prefix_list(account_client):
    cfn = account_client("cloudformation", ACCOUNT)
    ec2 = account_client("ec2", ACCOUNT)
    cfn.create_stack(StackName="s", TemplateBody=template(["203.0.113.7/32", "198.51.100.0/28"]))
    (stack,) = cfn.describe_stacks(StackName="s")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    pl_id = outputs["Id"]
    assert pl_id.startswith("pl-")
    assert outputs["Arn"] == f"arn:aws:ec2:us-east-1:{ACCOUNT}:prefix-list/{pl_id}"
    (pl,) = ec2.describe_managed_prefix_lists(PrefixListIds=[pl_id])["PrefixLists"]
    assert (pl["PrefixListName"], pl["AddressFamily"], pl["MaxEntries"]) == ("astro-external-ips", "IPv4", 4)
    assert cidrs(ec2, pl_id) == ["198.51.100.0/28", "203.0.113.7/32"]

    cfn.update_stack(StackName="s", TemplateBody=template(["203.0.113.7/32", "192.0.2.9/32"]))
    assert cidrs(ec2, pl_id) == ["192.0.2.9/32", "203.0.113.7/32"], "entries are updated in place"

    cfn.delete_stack(StackName="s")
    remaining = [p["PrefixListId"] for p in ec2.describe_managed_prefix_lists()["PrefixLists"]
                 if p.get("OwnerId") == ACCOUNT and p.get("State") != "delete-complete"]
    assert pl_id not in remaining


def test_more_entries_than_max_entries_fail(account_client):
    cfn = account_client("cloudformation", ACCOUNT)
    with pytest.raises(ClientError):
        cfn.create_stack(StackName="s", TemplateBody=template(["192.0.2.1/32", "192.0.2.2/32"], max_entries=1))
