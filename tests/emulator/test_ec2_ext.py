"""Tests of the EC2 extensions (astro_moto/ec2_ext.py) over HTTP with boto3.

Accounts: OWNER owns the Transit Gateway (the customer), VENDOR attaches its
VPC to it (Astro).
"""
import pytest
from botocore.exceptions import ClientError

OWNER = "222222222222"
VENDOR = "111111111111"
OTHER = "333333333333"


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def owner(account_client):
    return account_client("ec2", OWNER)


@pytest.fixture
def vendor(account_client):
    return account_client("ec2", VENDOR)


def make_vpc(ec2, cidr, subnet_cidr):
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock=subnet_cidr)["Subnet"]["SubnetId"]
    return vpc_id, subnet_id


def make_tgw(ec2, auto_accept="disable", **options):
    return ec2.create_transit_gateway(
        Description="customer tgw",
        Options={"AutoAcceptSharedAttachments": auto_accept, **options},
    )["TransitGateway"]


def share(account_client, tgw, principal=VENDOR):
    account_client("ram", OWNER).create_resource_share(
        name="astro-tgw",
        resourceArns=[tgw["TransitGatewayArn"]],
        principals=[principal],
        allowExternalPrincipals=True,
    )


def vendor_attach(vendor, tgw_id):
    vpc_id, subnet_id = make_vpc(vendor, "172.16.0.0/16", "172.16.1.0/24")
    att = vendor.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw_id, VpcId=vpc_id, SubnetIds=[subnet_id],
        TagSpecifications=[{"ResourceType": "transit-gateway-attachment",
                            "Tags": [{"Key": "Name", "Value": "astro"}]}],
    )["TransitGatewayVpcAttachment"]
    return att, vpc_id


@pytest.fixture
def pending(owner, vendor, account_client):
    """A shared TGW (auto-accept disabled) with a vendor attachment pending."""
    tgw = make_tgw(owner)
    share(account_client, tgw)
    att, vpc_id = vendor_attach(vendor, tgw["TransitGatewayId"])
    return tgw, att, vpc_id


# -- 1. VPC peering: each account sees its own tags -----------------------------
def test_peering_tags_are_kept_per_account(owner, vendor):
    owner_vpc = owner.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    vendor_vpc = vendor.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]
    pcx_id = vendor.create_vpc_peering_connection(
        VpcId=vendor_vpc, PeerVpcId=owner_vpc, PeerOwnerId=OWNER,
        TagSpecifications=[{"ResourceType": "vpc-peering-connection",
                            "Tags": [{"Key": "Side", "Value": "Requester"}]}],
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    owner.create_tags(Resources=[pcx_id], Tags=[{"Key": "Side", "Value": "Accepter"}])

    def tags(ec2):
        (pcx,) = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"]
        return {t["Key"]: t["Value"] for t in pcx.get("Tags", [])}

    assert tags(owner) == {"Side": "Accepter"}
    assert tags(vendor) == {"Side": "Requester"}



# -- 1. VPC peering: Filters -------------------------------------------------
def test_peering_describe_applies_its_filters(owner, vendor):
    """moto ignored every filter of DescribeVpcPeeringConnections (all peerings came back)."""
    a = owner.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    b = owner.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    vendor_vpc = vendor.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]

    def request(peer):
        return vendor.create_vpc_peering_connection(
            VpcId=vendor_vpc, PeerVpcId=peer, PeerOwnerId=OWNER
        )["VpcPeeringConnection"]["VpcPeeringConnectionId"]

    into_a, into_b = request(a), request(b)
    owner.accept_vpc_peering_connection(VpcPeeringConnectionId=into_b)
    owner.create_tags(Resources=[into_a], Tags=[{"Key": "team", "Value": "data"}])

    def by(name, values):
        return sorted(p["VpcPeeringConnectionId"] for p in owner.describe_vpc_peering_connections(
            Filters=[{"Name": name, "Values": values}])["VpcPeeringConnections"])

    assert by("accepter-vpc-info.vpc-id", [a]) == [into_a]
    assert by("accepter-vpc-info.vpc-id", [a, b]) == sorted([into_a, into_b])
    assert by("status-code", ["active"]) == [into_b]
    assert by("status-code", ["pending-acceptance"]) == [into_a]
    assert by("requester-vpc-info.owner-id", [VENDOR]) == sorted([into_a, into_b])
    assert by("requester-vpc-info.owner-id", [OWNER]) == []
    assert by("tag:team", ["data"]) == [into_a]
    # Several filters: all of them.
    both = owner.describe_vpc_peering_connections(Filters=[
        {"Name": "accepter-vpc-info.vpc-id", "Values": [a, b]},
        {"Name": "status-code", "Values": ["active"]},
    ])["VpcPeeringConnections"]
    assert [p["VpcPeeringConnectionId"] for p in both] == [into_b]

# -- 1. VPC peering: cidrBlockSet -------------------------------------------
def test_peering_describe_lists_secondary_cidrs_on_both_sides(owner, vendor):
    owner_vpc = owner.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    owner.associate_vpc_cidr_block(VpcId=owner_vpc, CidrBlock="10.1.0.0/16")
    vendor_vpc = vendor.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]
    vendor.associate_vpc_cidr_block(VpcId=vendor_vpc, CidrBlock="172.17.0.0/16")
    pcx_id = vendor.create_vpc_peering_connection(
        VpcId=vendor_vpc, PeerVpcId=owner_vpc, PeerOwnerId=OWNER
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]

    for ec2 in (owner, vendor):
        (pcx,) = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])[
            "VpcPeeringConnections"
        ]
        req, acc = pcx["RequesterVpcInfo"], pcx["AccepterVpcInfo"]
        assert req["CidrBlock"] == "172.16.0.0/16"
        assert sorted(c["CidrBlock"] for c in req["CidrBlockSet"]) == ["172.16.0.0/16", "172.17.0.0/16"]
        assert acc["CidrBlock"] == "10.0.0.0/16"
        assert sorted(c["CidrBlock"] for c in acc["CidrBlockSet"]) == ["10.0.0.0/16", "10.1.0.0/16"]
        assert req["Region"] == acc["Region"] == "us-east-1"
        assert (req["OwnerId"], acc["OwnerId"]) == (VENDOR, OWNER)


def test_peering_cidr_block_set_omits_disassociated_blocks(owner, vendor):
    owner_vpc = owner.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    assoc = owner.associate_vpc_cidr_block(VpcId=owner_vpc, CidrBlock="10.1.0.0/16")
    owner.disassociate_vpc_cidr_block(AssociationId=assoc["CidrBlockAssociation"]["AssociationId"])
    vendor_vpc = vendor.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]
    vendor.create_vpc_peering_connection(VpcId=vendor_vpc, PeerVpcId=owner_vpc, PeerOwnerId=OWNER)
    (pcx,) = owner.describe_vpc_peering_connections()["VpcPeeringConnections"]
    assert [c["CidrBlock"] for c in pcx["AccepterVpcInfo"]["CidrBlockSet"]] == ["10.0.0.0/16"]


# -- 2. Cross-account TGW attachment through RAM ------------------------------
def test_cross_account_attachment_is_pending_and_visible_to_both(owner, vendor, pending):
    tgw, att, vpc_id = pending
    att_id = att["TransitGatewayAttachmentId"]
    assert att["State"] == "pendingAcceptance"
    assert att["VpcOwnerId"] == VENDOR

    for ec2 in (owner, vendor):
        (vpc_att,) = ec2.describe_transit_gateway_vpc_attachments(
            TransitGatewayAttachmentIds=[att_id]
        )["TransitGatewayVpcAttachments"]
        assert (vpc_att["State"], vpc_att["VpcId"], vpc_att["VpcOwnerId"]) == (
            "pendingAcceptance", vpc_id, VENDOR)
        (gen,) = ec2.describe_transit_gateway_attachments(
            TransitGatewayAttachmentIds=[att_id]
        )["TransitGatewayAttachments"]
        assert gen["TransitGatewayOwnerId"] == OWNER
        assert gen["ResourceOwnerId"] == VENDOR
        assert gen["ResourceType"] == "vpc" and gen["ResourceId"] == vpc_id
        assert gen["State"] == "pendingAcceptance"
        assert "Association" not in gen

    # the owner's filters the product uses
    tgw_id = tgw["TransitGatewayId"]
    for describe, key in (
        (owner.describe_transit_gateway_vpc_attachments, "TransitGatewayVpcAttachments"),
        (owner.describe_transit_gateway_attachments, "TransitGatewayAttachments"),
    ):
        found = describe(Filters=[
            {"Name": "transit-gateway-id", "Values": [tgw_id]},
            {"Name": "state", "Values": ["pendingAcceptance"]},
            {"Name": "transit-gateway-attachment-id", "Values": [att_id]},
        ])[key]
        assert [a["TransitGatewayAttachmentId"] for a in found] == [att_id]
        assert describe(Filters=[{"Name": "state", "Values": ["available"]}])[key] == []
        assert describe(Filters=[{"Name": "transit-gateway-id", "Values": ["tgw-0000"]}])[key] == []

    # the tag from TagSpecifications(transit-gateway-attachment) is kept
    (mine,) = vendor.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]
    assert {"Key": "Name", "Value": "astro"} in mine["Tags"]


def test_attachment_refused_when_tgw_not_shared(owner, vendor, account_client):
    tgw = make_tgw(owner)
    share(account_client, tgw, principal=OTHER)  # shared, but with someone else
    with pytest.raises(ClientError) as exc:
        vendor_attach(vendor, tgw["TransitGatewayId"])
    assert error_code(exc) == "InvalidTransitGatewayID.NotFound"
    assert owner.describe_transit_gateway_attachments()["TransitGatewayAttachments"] == []


def test_auto_accept_enable_makes_shared_attachment_available(owner, vendor, account_client):
    tgw = make_tgw(owner, auto_accept="enable")
    share(account_client, tgw)
    att, _ = vendor_attach(vendor, tgw["TransitGatewayId"])
    assert att["State"] == "available"
    (gen,) = owner.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert gen["State"] == "available"
    default_rt = tgw["Options"]["AssociationDefaultRouteTableId"]
    assert gen["Association"] == {"TransitGatewayRouteTableId": default_rt, "State": "associated"}


def test_shared_tgw_is_listed_for_the_vendor(owner, vendor, account_client):
    tgw = make_tgw(owner)
    assert vendor.describe_transit_gateways()["TransitGateways"] == []
    share(account_client, tgw)
    (seen,) = vendor.describe_transit_gateways()["TransitGateways"]
    assert (seen["TransitGatewayId"], seen["OwnerId"]) == (tgw["TransitGatewayId"], OWNER)


def test_same_account_attachment_still_available(owner):
    tgw = make_tgw(owner)
    vpc_id, subnet_id = make_vpc(owner, "10.0.0.0/16", "10.0.1.0/24")
    att = owner.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc_id, SubnetIds=[subnet_id]
    )["TransitGatewayVpcAttachment"]
    assert att["State"] == "available"
    (gen,) = owner.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert gen["TransitGatewayOwnerId"] == gen["ResourceOwnerId"] == OWNER


# -- 3. Accept / Reject -------------------------------------------------------
def test_owner_accepts_then_second_accept_is_incorrect_state(owner, vendor, pending):
    tgw, att, _ = pending
    att_id = att["TransitGatewayAttachmentId"]
    accepted = owner.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)[
        "TransitGatewayVpcAttachment"
    ]
    assert (accepted["TransitGatewayAttachmentId"], accepted["State"]) == (att_id, "available")
    assert accepted["VpcOwnerId"] == VENDOR

    for ec2 in (owner, vendor):
        (seen,) = ec2.describe_transit_gateway_vpc_attachments(
            TransitGatewayAttachmentIds=[att_id]
        )["TransitGatewayVpcAttachments"]
        assert seen["State"] == "available"

    # default association + propagation, as for a same-account attachment
    default_rt = tgw["Options"]["AssociationDefaultRouteTableId"]
    assocs = owner.get_transit_gateway_route_table_associations(
        TransitGatewayRouteTableId=default_rt)["Associations"]
    assert [(a["TransitGatewayAttachmentId"], a["State"]) for a in assocs] == [(att_id, "associated")]
    props = owner.get_transit_gateway_route_table_propagations(
        TransitGatewayRouteTableId=default_rt)["TransitGatewayRouteTablePropagations"]
    assert [(p["TransitGatewayAttachmentId"], p["State"]) for p in props] == [(att_id, "enabled")]

    with pytest.raises(ClientError) as exc:
        owner.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    assert error_code(exc) == "IncorrectState"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_accept_without_default_association_leaves_attachment_unassociated(owner, vendor, account_client):
    tgw = make_tgw(owner, DefaultRouteTableAssociation="disable", DefaultRouteTablePropagation="disable")
    share(account_client, tgw)
    att, _ = vendor_attach(vendor, tgw["TransitGatewayId"])
    owner.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att["TransitGatewayAttachmentId"])
    (gen,) = owner.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert gen["State"] == "available" and "Association" not in gen


def test_accept_by_non_owner_is_refused(owner, vendor, pending):
    _, att, _ = pending
    att_id = att["TransitGatewayAttachmentId"]
    with pytest.raises(ClientError) as exc:
        vendor.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    assert error_code(exc) == "InvalidTransitGatewayAttachmentID.NotFound"
    with pytest.raises(ClientError) as exc:
        vendor.reject_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    assert error_code(exc) == "InvalidTransitGatewayAttachmentID.NotFound"
    (seen,) = owner.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]
    assert seen["State"] == "pendingAcceptance"


def test_accept_unknown_attachment_is_not_found(owner):
    with pytest.raises(ClientError) as exc:
        owner.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId="tgw-attach-0123456789abcdef0")
    assert error_code(exc) == "InvalidTransitGatewayAttachmentID.NotFound"


def test_owner_rejects(owner, vendor, pending):
    _, att, _ = pending
    att_id = att["TransitGatewayAttachmentId"]
    rejected = owner.reject_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)[
        "TransitGatewayVpcAttachment"
    ]
    assert rejected["State"] == "rejected"
    (seen,) = vendor.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]
    assert seen["State"] == "rejected"
    with pytest.raises(ClientError) as exc:
        owner.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    assert error_code(exc) == "IncorrectState"


def test_delete_by_vendor_removes_attachment_for_both(owner, vendor, pending):
    _, att, _ = pending
    vendor.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att["TransitGatewayAttachmentId"])
    for ec2 in (owner, vendor):
        assert ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"] == []


# -- 4. TGW routes and route table associations --------------------------------
def test_duplicate_tgw_route_is_route_already_exists(owner, vendor, pending):
    tgw, att, _ = pending
    att_id = att["TransitGatewayAttachmentId"]
    owner.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    rt = tgw["Options"]["AssociationDefaultRouteTableId"]
    route = owner.create_transit_gateway_route(
        TransitGatewayRouteTableId=rt, DestinationCidrBlock="172.16.0.0/16",
        TransitGatewayAttachmentId=att_id,
    )["Route"]
    assert [a["TransitGatewayAttachmentId"] for a in route["TransitGatewayAttachments"]] == [att_id]

    for target in ({"TransitGatewayAttachmentId": att_id}, {"Blackhole": True}):
        with pytest.raises(ClientError) as exc:
            owner.create_transit_gateway_route(
                TransitGatewayRouteTableId=rt, DestinationCidrBlock="172.16.0.0/16", **target)
        assert error_code(exc) == "RouteAlreadyExists"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # the first route is untouched; another CIDR or another table is fine
    found = owner.search_transit_gateway_routes(
        TransitGatewayRouteTableId=rt,
        Filters=[{"Name": "route-search.exact-match", "Values": ["172.16.0.0/16"]}],
    )["Routes"]
    assert [(r["State"], r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"]) for r in found] == [
        ("active", att_id)]
    owner.create_transit_gateway_route(
        TransitGatewayRouteTableId=rt, DestinationCidrBlock="172.17.0.0/16", Blackhole=True)
    other_rt = owner.create_transit_gateway_route_table(TransitGatewayId=tgw["TransitGatewayId"])[
        "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    owner.create_transit_gateway_route(
        TransitGatewayRouteTableId=other_rt, DestinationCidrBlock="172.16.0.0/16", Blackhole=True)
    # after deleting, the destination can be created again
    owner.delete_transit_gateway_route(TransitGatewayRouteTableId=rt, DestinationCidrBlock="172.16.0.0/16")
    owner.create_transit_gateway_route(
        TransitGatewayRouteTableId=rt, DestinationCidrBlock="172.16.0.0/16", TransitGatewayAttachmentId=att_id)


def test_search_routes_type_and_exact_match_filters(owner):
    tgw = make_tgw(owner)
    rt = tgw["Options"]["AssociationDefaultRouteTableId"]
    for cidr in ("10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"):
        owner.create_transit_gateway_route(TransitGatewayRouteTableId=rt, DestinationCidrBlock=cidr, Blackhole=True)

    def search(filters, **kw):
        routes = owner.search_transit_gateway_routes(TransitGatewayRouteTableId=rt, Filters=filters, **kw)["Routes"]
        return sorted(r["DestinationCidrBlock"] for r in routes)

    assert search([{"Name": "type", "Values": ["static"]}]) == ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"]
    assert search([{"Name": "type", "Values": ["propagated"]}]) == []
    assert search([{"Name": "type", "Values": ["static"]},
                   {"Name": "route-search.exact-match", "Values": ["10.2.0.0/16"]}]) == ["10.2.0.0/16"]
    assert len(search([{"Name": "type", "Values": ["static"]}], MaxResults=5)) == 3


def test_cross_account_attachment_route_table_association(owner, vendor, account_client):
    tgw = make_tgw(owner, DefaultRouteTableAssociation="disable", DefaultRouteTablePropagation="disable")
    share(account_client, tgw)
    att, vpc_id = vendor_attach(vendor, tgw["TransitGatewayId"])
    att_id = att["TransitGatewayAttachmentId"]
    rt = owner.create_transit_gateway_route_table(TransitGatewayId=tgw["TransitGatewayId"])[
        "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]

    with pytest.raises(ClientError) as exc:  # not accepted yet
        owner.associate_transit_gateway_route_table(TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=att_id)
    assert error_code(exc) == "IncorrectState"

    owner.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att_id)
    assoc = owner.associate_transit_gateway_route_table(
        TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=att_id)["Association"]
    assert (assoc["TransitGatewayAttachmentId"], assoc["ResourceId"], assoc["State"]) == (att_id, vpc_id, "associated")
    listed = owner.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=rt)["Associations"]
    assert [(a["TransitGatewayAttachmentId"], a["ResourceId"]) for a in listed] == [(att_id, vpc_id)]
    (gen,) = vendor.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert gen["Association"]["TransitGatewayRouteTableId"] == rt
    assert gen["ResourceOwnerId"] == VENDOR

    with pytest.raises(ClientError) as exc:
        owner.associate_transit_gateway_route_table(TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=att_id)
    assert error_code(exc) == "Resource.AlreadyAssociated"

    gone = owner.disassociate_transit_gateway_route_table(
        TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=att_id)["Association"]
    assert gone["State"] == "disassociated"
    assert owner.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=rt)["Associations"] == []
    (gen,) = owner.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert "Association" not in gen


def test_disassociate_default_association_made_at_creation(owner):
    tgw = make_tgw(owner)
    vpc_id, subnet_id = make_vpc(owner, "10.0.0.0/16", "10.0.1.0/24")
    att_id = owner.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc_id, SubnetIds=[subnet_id]
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    default_rt = tgw["Options"]["AssociationDefaultRouteTableId"]
    owner.disassociate_transit_gateway_route_table(TransitGatewayRouteTableId=default_rt, TransitGatewayAttachmentId=att_id)
    assert owner.get_transit_gateway_route_table_associations(
        TransitGatewayRouteTableId=default_rt)["Associations"] == []
