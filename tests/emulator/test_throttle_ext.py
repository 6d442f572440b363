"""EC2 request throttling (astro_moto/throttle_ext.py): per account and API action, 50 tokens
refilled at 5 per second for a mutating action, 100 at 20 per second for a non-mutating one."""
import time

import pytest
from botocore.exceptions import ClientError

from emulator_fixtures import client, start_server

CUSTOMER = "222222222222"
OTHER = "333333333333"


@pytest.fixture(scope="module")
def throttling():
    server = start_server({"ASTRO_EC2_THROTTLE": "1"})
    try:
        yield server.url
    finally:
        server.stop()


def burst(call, n, workers=16):
    """(successes, throttled) of `n` calls made as fast as `workers` threads go."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_):
        try:
            call()
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "RequestLimitExceeded", e.response
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            return False

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, range(n)))
    return sum(results), results.count(False)


def test_a_mutating_action_has_a_bucket_of_50_refilled_at_5_per_second(throttling):
    ec2 = client(throttling, "ec2", CUSTOMER)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    start = time.monotonic()
    ok, throttled = burst(lambda: ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "v"}]), 150)
    elapsed = time.monotonic() - start
    assert throttled > 0, f"150 calls in {elapsed:.1f} s exceed a bucket of 50"
    assert ok <= 50 + int(elapsed * 5) + 2, (ok, elapsed)  # the bucket, and what refilled meanwhile
    # Another action has its own bucket; so has another account.
    ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "k"}])
    other = client(throttling, "ec2", OTHER)
    other_vpc = other.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other.create_tags(Resources=[other_vpc], Tags=[{"Key": "k", "Value": "v"}])
    # Half a second refills two tokens.
    time.sleep(0.5)
    ok, _ = burst(lambda: ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "v"}]), 2, workers=1)
    assert ok == 2


def test_a_throttled_call_changes_nothing_and_reads_have_a_larger_bucket(throttling):
    ec2 = client(throttling, "ec2", CUSTOMER)
    ok, throttled = burst(lambda: ec2.create_vpc(CidrBlock="10.9.0.0/16"), 150)
    made = [v for v in ec2.describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.9.0.0/16"]
    assert throttled > 0 and len(made) == ok
    time.sleep(0.5)
    ok, throttled = burst(lambda: ec2.describe_vpcs(), 90, workers=1)
    assert throttled == 0, "90 reads fit a bucket of 100"


def test_with_throttle_roles_only_those_roles_take_tokens():
    server = start_server({"ASTRO_EC2_THROTTLE": "1", "ASTRO_EC2_THROTTLE_ROLES": "PeeringRole"})
    try:
        setup = client(server.url, "ec2", CUSTOMER)
        vpc = setup.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        tag = {"Resources": [vpc], "Tags": [{"Key": "k", "Value": "v"}]}
        ok, throttled = burst(lambda: setup.create_tags(**tag), 80)
        assert (ok, throttled) == (80, 0), "the set-up role is not limited"
        function = client(server.url, "ec2", CUSTOMER, role="PeeringRole")
        ok, throttled = burst(lambda: function.create_tags(**tag), 80)
        assert throttled > 0 and ok < 80, "the named role has the bucket to itself"
    finally:
        server.stop()
