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
FIELDS = {"account", "role", "session", "service", "region", "operation", "status", "error", "requestId"}


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
    ids = [r.pop("requestId") for r in records]
    assert all(ids) and len(set(ids)) == len(ids), "each answer has its own request id"
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



def test_the_request_id_logged_is_the_one_the_sdk_reads(calls):
    ec2 = calls.client("ec2", CUSTOMER, role="astro-peering")
    sent = [ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["ResponseMetadata"]["RequestId"] for i in range(3)]
    sent.append(ec2.describe_vpcs()["ResponseMetadata"]["RequestId"])
    r53 = calls.client("route53", CUSTOMER, role="astro-peering")
    sent.append(r53.list_hosted_zones()["ResponseMetadata"]["RequestId"])
    logged = [r["requestId"] for r in calls.records() if r["role"] == "astro-peering"]
    assert logged == sent and len(set(sent)) == len(sent)


@pytest.fixture(scope="module")
def faulty():
    """An emulator that faults every call of the role astro-faulted (and no other)."""
    server = start_server({"ASTRO_FAULT_RATE": "1", "ASTRO_FAULT_ROLES": "astro-faulted"})
    try:
        yield server.url
    finally:
        server.stop()


@pytest.mark.parametrize("service,call", [
    ("ec2", lambda c: c.create_vpc(CidrBlock="10.9.0.0/16")),
    ("route53", lambda c: c.create_hosted_zone(Name="x.internal", CallerReference="x")),
    ("cloudformation", lambda c: c.list_stacks()),
    ("ram", lambda c: c.get_resource_shares(resourceOwner="SELF")),
    ("logs", lambda c: c.describe_log_groups()),
])
def test_a_faulted_call_is_a_503_in_the_services_shape_and_changes_nothing(faulty, service, call):
    reset(faulty)
    faulted = client(faulty, service, CUSTOMER, region=REGION, role="astro-faulted")
    with pytest.raises(ClientError) as e:
        call(faulted)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert e.value.response["Error"]["Code"] == "ServiceUnavailable"
    # Another role in the same account is served, and sees that nothing was made.
    other = client(faulty, "ec2", CUSTOMER, region=REGION, role="astro-handshake-test")
    assert [v for v in other.describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.9.0.0/16"] == []
    assert client(faulty, "route53", CUSTOMER, region=REGION, role="astro-handshake-test") \
        .list_hosted_zones()["HostedZones"] == []
