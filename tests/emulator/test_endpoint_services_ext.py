"""Tests of the VPC endpoint service extensions (astro_moto/endpoint_services_ext.py) over HTTP
with boto3: the customer side of Astro's "Custom VPC Endpoint" flow.

Accounts: CUSTOMER owns the endpoint service (behind a Network Load Balancer); ASTRO connects to
it with interface endpoints, as the role astronomer-remote-management; STRANGER is allowed
nothing.
"""
import pytest
from botocore.exceptions import ClientError

CUSTOMER = "222222222222"
ASTRO = "111111111111"
STRANGER = "333333333333"
ASTRO_ROLE = "astronomer-remote-management"
ASTRO_ROLE_ARN = f"arn:aws:iam::{ASTRO}:role/{ASTRO_ROLE}"
ASTRO_ROOT = f"arn:aws:iam::{ASTRO}:root"


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


@pytest.fixture
def customer(account_client):
    return account_client("ec2", CUSTOMER)


@pytest.fixture
def astro(account_client):
    return account_client("ec2", ASTRO, role=ASTRO_ROLE)


def make_service(account_client, acceptance_required=True, principals=(ASTRO_ROLE_ARN,)):
    """The customer's endpoint service behind an NLB, allowing ``principals``."""
    ec2 = account_client("ec2", CUSTOMER)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    nlb = account_client("elbv2", CUSTOMER).create_load_balancer(
        Name=f"customer-nlb-{len(ec2.describe_vpcs()['Vpcs'])}", Subnets=[subnet], Type="network",
        Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
    config = ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[nlb], AcceptanceRequired=acceptance_required)["ServiceConfiguration"]
    if principals:
        ec2.modify_vpc_endpoint_service_permissions(ServiceId=config["ServiceId"], AddAllowedPrincipals=list(principals))
    return config


def connect(ec2, service_name, cidr="172.16.0.0/16"):
    """An interface endpoint from a new VPC of the caller's account to ``service_name``."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace(".0.0/16", ".1.0/24"))["Subnet"]["SubnetId"]
    return ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=service_name, VpcEndpointType="Interface",
                                   SubnetIds=[subnet])["VpcEndpoint"]


def state(ec2, endpoint_id):
    return ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]["State"]


def connections(ec2, **filters):
    found = ec2.describe_vpc_endpoint_connections(
        Filters=[{"Name": k.replace("_", "-"), "Values": v} for k, v in filters.items()])
    return {c["VpcEndpointId"]: c for c in found["VpcEndpointConnections"]}


def codes(unsuccessful):
    return {u["ResourceId"]: (u["Error"]["Code"], u["Error"]["Message"]) for u in unsuccessful}


# -- CreateVpcEndpoint from an allowed account: a pending connection ------------------------
def test_an_allowed_role_connects_and_the_owner_sees_the_pending_connection(account_client, customer, astro):
    service = make_service(account_client)
    endpoint = connect(astro, service["ServiceName"])

    assert endpoint["State"] == "pendingAcceptance"
    assert endpoint["ServiceName"] == service["ServiceName"]
    assert state(astro, endpoint["VpcEndpointId"]) == "pendingAcceptance"
    with pytest.raises(ClientError) as e:  # the endpoint is Astro's, not the customer's
        customer.describe_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])
    assert error(e)[0] == "InvalidVpcEndpointId.NotFound"

    (connection,) = connections(customer).values()
    assert {k: connection[k] for k in ("ServiceId", "VpcEndpointId", "VpcEndpointOwner", "VpcEndpointState")} == {
        "ServiceId": service["ServiceId"], "VpcEndpointId": endpoint["VpcEndpointId"],
        "VpcEndpointOwner": ASTRO, "VpcEndpointState": "pendingAcceptance"}
    assert connection["CreationTimestamp"] == endpoint["CreationTimestamp"]
    assert connection["NetworkLoadBalancerArns"] == service["NetworkLoadBalancerArns"]

    eid = endpoint["VpcEndpointId"]
    assert set(connections(customer, service_id=[service["ServiceId"]])) == {eid}
    assert set(connections(customer, vpc_endpoint_state=["pendingAcceptance"])) == {eid}
    assert set(connections(customer, vpc_endpoint_state=["available"])) == set()
    assert set(connections(customer, vpc_endpoint_owner=[ASTRO])) == {eid}
    assert set(connections(customer, vpc_endpoint_owner=[STRANGER])) == set()
    assert set(connections(customer, service_id=["vpce-svc-0000000000000000"])) == set()
    assert connections(astro) == {}  # Astro owns no service: no connections of its own


def test_without_acceptance_required_the_endpoint_is_available_at_once(account_client, customer, astro):
    service = make_service(account_client, acceptance_required=False)
    endpoint = connect(astro, service["ServiceName"])

    assert endpoint["State"] == "available"
    assert connections(customer)[endpoint["VpcEndpointId"]]["VpcEndpointState"] == "available"


# -- Who may connect --------------------------------------------------------------------------
@pytest.mark.parametrize("principals, allowed, denied", [
    ([ASTRO_ROLE_ARN], [(ASTRO, ASTRO_ROLE)], [(ASTRO, "other-role"), (STRANGER, ASTRO_ROLE)]),
    ([ASTRO_ROOT], [(ASTRO, ASTRO_ROLE), (ASTRO, "other-role")], [(STRANGER, ASTRO_ROLE)]),
    (["*"], [(ASTRO, ASTRO_ROLE), (STRANGER, "anyone")], []),
    ([], [(CUSTOMER, "astro-handshake-test")], [(ASTRO, ASTRO_ROLE)]),
], ids=["role-arn", "account-root", "everyone", "nobody-but-the-owner"])
def test_only_allowed_principals_connect(account_client, principals, allowed, denied):
    service = make_service(account_client, principals=principals)
    name = service["ServiceName"]
    for i, (account, role) in enumerate(allowed):
        ec2 = account_client("ec2", account, role=role)
        assert connect(ec2, name, cidr=f"172.{16 + i}.0.0/16")["State"] == "pendingAcceptance"
        # whom the service admits may look it up, with its owner
        (detail,) = ec2.describe_vpc_endpoint_services(ServiceNames=[name])["ServiceDetails"]
        assert (detail["ServiceId"], detail["Owner"], detail["AcceptanceRequired"]) == (
            service["ServiceId"], CUSTOMER, True)
    for account, role in denied:
        ec2 = account_client("ec2", account, role=role)
        before = ec2.describe_vpc_endpoints()["VpcEndpoints"]
        with pytest.raises(ClientError) as e:
            connect(ec2, name, cidr="172.30.0.0/16")
        assert error(e) == ("InvalidServiceName", f"The Vpc Endpoint Service '{name}' does not exist")
        assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == before
        with pytest.raises(ClientError) as e:
            ec2.describe_vpc_endpoint_services(ServiceNames=[name])
        assert error(e)[0] == "InvalidServiceName"
    assert len(connections(account_client("ec2", CUSTOMER))) == len(allowed)


def test_removing_a_principal_keeps_its_endpoints_and_refuses_new_ones(account_client, customer, astro):
    service = make_service(account_client)
    first = connect(astro, service["ServiceName"])
    customer.modify_vpc_endpoint_service_permissions(
        ServiceId=service["ServiceId"], RemoveAllowedPrincipals=[ASTRO_ROLE_ARN])

    with pytest.raises(ClientError) as e:
        connect(astro, service["ServiceName"], cidr="172.17.0.0/16")
    assert error(e)[0] == "InvalidServiceName"
    assert set(connections(customer)) == {first["VpcEndpointId"]}
    assert customer.accept_vpc_endpoint_connections(
        ServiceId=service["ServiceId"], VpcEndpointIds=[first["VpcEndpointId"]])["Unsuccessful"] == []
    assert state(astro, first["VpcEndpointId"]) == "available"


# -- Accept / reject -----------------------------------------------------------------------------
def test_accepting_makes_the_endpoint_available_on_both_sides(account_client, customer, astro):
    service = make_service(account_client)
    eid = connect(astro, service["ServiceName"])["VpcEndpointId"]

    out = customer.accept_vpc_endpoint_connections(ServiceId=service["ServiceId"], VpcEndpointIds=[eid])

    assert out["Unsuccessful"] == []
    assert state(astro, eid) == "available"
    assert connections(customer)[eid]["VpcEndpointState"] == "available"
    again = customer.accept_vpc_endpoint_connections(ServiceId=service["ServiceId"], VpcEndpointIds=[eid])
    assert codes(again["Unsuccessful"]) == {
        eid: ("InvalidState", f"Endpoint {eid} is in state available and cannot be accepted.")}
    assert state(astro, eid) == "available"


def test_rejecting_a_pending_or_available_endpoint(account_client, customer, astro):
    service = make_service(account_client)
    pending = connect(astro, service["ServiceName"])["VpcEndpointId"]
    accepted = connect(astro, service["ServiceName"], cidr="172.17.0.0/16")["VpcEndpointId"]
    customer.accept_vpc_endpoint_connections(ServiceId=service["ServiceId"], VpcEndpointIds=[accepted])

    out = customer.reject_vpc_endpoint_connections(ServiceId=service["ServiceId"], VpcEndpointIds=[pending, accepted])

    assert out["Unsuccessful"] == []
    assert state(astro, pending) == state(astro, accepted) == "rejected"
    assert set(connections(customer, vpc_endpoint_state=["rejected"])) == {pending, accepted}
    again = customer.reject_vpc_endpoint_connections(ServiceId=service["ServiceId"], VpcEndpointIds=[pending])
    assert codes(again["Unsuccessful"]) == {
        pending: ("InvalidState", f"Endpoint {pending} is in state rejected and cannot be rejected.")}
    late = customer.accept_vpc_endpoint_connections(ServiceId=service["ServiceId"], VpcEndpointIds=[pending])
    assert codes(late["Unsuccessful"])[pending][0] == "InvalidState"
    assert state(astro, pending) == "rejected"


def test_endpoints_not_connected_to_the_service_are_unsuccessful(account_client, customer, astro):
    service = make_service(account_client)
    other = make_service(account_client)
    mine = connect(astro, service["ServiceName"])["VpcEndpointId"]
    elsewhere = connect(astro, other["ServiceName"], cidr="172.17.0.0/16")["VpcEndpointId"]
    unknown = "vpce-0123456789abcdef0"

    out = customer.accept_vpc_endpoint_connections(ServiceId=service["ServiceId"], VpcEndpointIds=[mine, elsewhere, unknown])

    assert codes(out["Unsuccessful"]) == {
        elsewhere: ("InvalidVpcEndpointId.NotFound", f"The VpcEndPoint ID '{elsewhere}' does not exist"),
        unknown: ("InvalidVpcEndpointId.NotFound", f"The VpcEndPoint ID '{unknown}' does not exist"),
    }
    assert state(astro, mine) == "available"
    assert state(astro, elsewhere) == "pendingAcceptance"
    out = customer.reject_vpc_endpoint_connections(ServiceId=service["ServiceId"], VpcEndpointIds=[elsewhere])
    assert codes(out["Unsuccessful"])[elsewhere][0] == "InvalidVpcEndpointId.NotFound"
    assert state(astro, elsewhere) == "pendingAcceptance"


# -- Permissions ---------------------------------------------------------------------------------
def test_permissions_are_added_and_removed_idempotently(account_client, customer):
    service = make_service(account_client, principals=())
    sid = service["ServiceId"]

    out = customer.modify_vpc_endpoint_service_permissions(ServiceId=sid, AddAllowedPrincipals=[ASTRO_ROLE_ARN, ASTRO_ROOT])
    assert out["ReturnValue"] is True
    added = {p["Principal"]: p for p in out["AddedPrincipals"]}
    assert {p: (a["PrincipalType"], a["ServiceId"]) for p, a in added.items()} == {
        ASTRO_ROLE_ARN: ("Role", sid), ASTRO_ROOT: ("Account", sid)}
    assert all(a["ServicePermissionId"].startswith("vpce-svc-perm-") for a in added.values())

    again = customer.modify_vpc_endpoint_service_permissions(ServiceId=sid, AddAllowedPrincipals=[ASTRO_ROLE_ARN, "*"])
    assert {p["Principal"]: p["PrincipalType"] for p in again["AddedPrincipals"]} == {ASTRO_ROLE_ARN: "Role", "*": "All"}

    def allowed(**filters):
        found = customer.describe_vpc_endpoint_service_permissions(
            ServiceId=sid, Filters=[{"Name": k.replace("_", "-"), "Values": v} for k, v in filters.items()])
        return [(p["Principal"], p["PrincipalType"], p["ServicePermissionId"], p["ServiceId"])
                for p in found["AllowedPrincipals"]]

    assert allowed() == [
        (ASTRO_ROLE_ARN, "Role", added[ASTRO_ROLE_ARN]["ServicePermissionId"], sid),
        (ASTRO_ROOT, "Account", added[ASTRO_ROOT]["ServicePermissionId"], sid),
        ("*", "All", again["AddedPrincipals"][1]["ServicePermissionId"], sid),
    ]
    assert [p[0] for p in allowed(principal_type=["Account", "All"])] == [ASTRO_ROOT, "*"]
    assert [p[0] for p in allowed(principal=[ASTRO_ROLE_ARN])] == [ASTRO_ROLE_ARN]

    for _ in range(2):
        out = customer.modify_vpc_endpoint_service_permissions(
            ServiceId=sid, RemoveAllowedPrincipals=["*", f"arn:aws:iam::{STRANGER}:root"])
        assert (out["ReturnValue"], out.get("AddedPrincipals", [])) == (True, [])
    assert [p[0] for p in allowed()] == [ASTRO_ROLE_ARN, ASTRO_ROOT]


def test_only_the_owner_manages_its_service(account_client, customer, astro):
    service = make_service(account_client)
    sid = service["ServiceId"]
    eid = connect(astro, service["ServiceName"])["VpcEndpointId"]
    not_found = ("InvalidVpcEndpointServiceId.NotFound", f"The VpcEndpointService Id '{sid}' does not exist")

    for call in (
        lambda: astro.describe_vpc_endpoint_service_configurations(ServiceIds=[sid]),
        lambda: astro.describe_vpc_endpoint_service_permissions(ServiceId=sid),
        lambda: astro.modify_vpc_endpoint_service_permissions(ServiceId=sid, AddAllowedPrincipals=["*"]),
        lambda: astro.accept_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=[eid]),
        lambda: astro.reject_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=[eid]),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == not_found
    assert connections(astro) == {}
    assert state(astro, eid) == "pendingAcceptance"
    assert [p["Principal"] for p in customer.describe_vpc_endpoint_service_permissions(
        ServiceId=sid)["AllowedPrincipals"]] == [ASTRO_ROLE_ARN]


def test_the_owner_connects_to_its_own_service_without_a_permission(account_client, customer):
    service = make_service(account_client, principals=())
    endpoint = connect(customer, service["ServiceName"])

    assert endpoint["State"] == "pendingAcceptance"
    assert connections(customer)[endpoint["VpcEndpointId"]]["VpcEndpointOwner"] == CUSTOMER
