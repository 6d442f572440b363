"""Call log (astro_moto/recorder.py): a second emulator started with ASTRO_CALL_LOG writes one
JSON line per API call it serves: who (account, assumed role, session), what (service, Region,
operation) and how it ended (HTTP status, error code).
"""
import json

import pytest
from botocore.exceptions import ClientError

from emulator_fixtures import client, reset, start_server

CUSTOMER = "222222222222"
ASTRO = "111111111111"
REGION = "us-east-1"
FIELDS = {"account", "role", "session", "service", "region", "operation", "status", "error"}


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """(url, path of the call log) of an emulator started with ASTRO_CALL_LOG."""
    log = tmp_path_factory.mktemp("calls") / "calls.jsonl"
    server = start_server({"ASTRO_CALL_LOG": str(log)})
    try:
        yield server.url, log
    finally:
        server.stop()


@pytest.fixture
def calls(recording):
    """Clients of the recording emulator, and ``records()``: what it logged since the test began."""
    url, log = recording
    reset(url)
    log.write_text("")

    class Calls:
        def client(self, service, account, role):
            return client(url, service, account, region=REGION, role=role)

        def records(self):
            return [json.loads(line) for line in log.read_text().splitlines()]

    return Calls()


def test_each_call_is_recorded_with_who_what_and_outcome(calls):
    customer_ec2 = calls.client("ec2", CUSTOMER, role="astro-handshake-test")
    astro_ec2 = calls.client("ec2", ASTRO, role="astro-peering")
    customer_vpc = customer_ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    astro_vpc = astro_ec2.create_vpc(CidrBlock="10.100.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError):
        customer_ec2.describe_vpcs(VpcIds=["vpc-0000000000000000f"])
    r53 = calls.client("route53", CUSTOMER, role="astro-handshake-test")
    zone = r53.create_hosted_zone(Name="corp.internal", CallerReference="corp", HostedZoneConfig={"PrivateZone": True},
                                  VPC={"VPCRegion": REGION, "VPCId": customer_vpc})["HostedZone"]["Id"]
    r53.create_vpc_association_authorization(HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": astro_vpc})
    calls.client("lambda", CUSTOMER, role="astro-handshake-test").list_functions()

    records = calls.records()
    assert all(set(r) == FIELDS for r in records), records
    by_operation = {r["operation"]: r for r in records if r["account"] == CUSTOMER}
    customer = {"account": CUSTOMER, "role": "astro-handshake-test", "session": "astro-handshake-test",
                "region": REGION}
    assert by_operation["CreateVpc"] == {**customer, "service": "ec2", "operation": "CreateVpc",
                                         "status": 200, "error": None}
    assert [r for r in records if r["operation"] == "CreateVpc" and r["account"] == ASTRO] == [
        {"account": ASTRO, "role": "astro-peering", "session": "astro-peering", "region": REGION,
         "service": "ec2", "operation": "CreateVpc", "status": 200, "error": None}]
    assert by_operation["DescribeVpcs"] == {**customer, "service": "ec2", "operation": "DescribeVpcs",
                                            "status": 400, "error": "InvalidVpcID.NotFound"}
    # A route astro_moto.route53_ext adds, named from the Route 53 API model.
    assert by_operation["CreateVPCAssociationAuthorization"] == {
        **customer, "service": "route53", "operation": "CreateVPCAssociationAuthorization",
        "status": 200, "error": None}
    assert by_operation["CreateHostedZone"]["status"] == 201
    assert by_operation["ListFunctions"] == {**customer, "service": "lambda", "operation": "ListFunctions",
                                             "status": 200, "error": None}

    # The test's own STS calls (one per client), signed with plain credentials: moto's default
    # account, no assumed role.
    assume = [r for r in records if r["operation"] == "AssumeRole"]
    assert len(assume) == 4
    assert all(r == {"account": "123456789012", "role": None, "session": None, "service": "sts",
                     "region": REGION, "operation": "AssumeRole", "status": 200, "error": None} for r in assume)
    assert [r["operation"] for r in records if r["role"] is not None] == [
        "CreateVpc", "CreateVpc", "DescribeVpcs", "CreateHostedZone", "CreateVPCAssociationAuthorization",
        "ListFunctions"]

