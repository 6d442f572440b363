"""Route 53 extensions (astro_moto/route53_ext.py) over HTTP against the
extended moto server: VPC association authorizations and cross-account
AssociateVPCWithHostedZone, as the Route 53 API Reference describes them.

Fixtures `endpoint`, `account_client` and the per-test reset come from
conftest.py.
"""
import re

import pytest
from botocore.exceptions import ClientError

ZONE_OWNER = "111111111111"  # account C: owns the private hosted zone
VPC_OWNER = "222222222222"  # account V: owns the VPC to associate
REGION = "us-east-1"
NS = "https://route53.amazonaws.com/doc/2013-04-01/"


def _error(excinfo):
    err = excinfo.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def owner_r53(account_client):
    return account_client("route53", ZONE_OWNER)


@pytest.fixture
def vpc_owner_r53(account_client):
    return account_client("route53", VPC_OWNER)


@pytest.fixture
def owner_vpc(account_client):
    ec2 = account_client("ec2", ZONE_OWNER, region=REGION)
    return ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def foreign_vpc(account_client):
    """A VPC created by account V."""
    ec2 = account_client("ec2", VPC_OWNER, region=REGION)
    return ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def zone_id(owner_r53, owner_vpc):
    """A private hosted zone of account C, created with C's VPC."""
    resp = owner_r53.create_hosted_zone(
        Name="astro.internal.",
        CallerReference="zone-1",
        HostedZoneConfig={"PrivateZone": True, "Comment": "handshake"},
        VPC={"VPCRegion": REGION, "VPCId": owner_vpc},
    )
    return resp["HostedZone"]["Id"].split("/")[-1]


def _vpc(vpc_id, region=REGION):
    return {"VPCRegion": region, "VPCId": vpc_id}


def _zone_vpcs(r53, zone_id):
    return r53.get_hosted_zone(Id=zone_id)["VPCs"]


# --- item 3: private zone VPCs as moto already reports them -----------------


def test_private_zone_reports_its_vpc(owner_r53, zone_id, owner_vpc):
    assert _zone_vpcs(owner_r53, zone_id) == [_vpc(owner_vpc)]
    zones = owner_r53.list_hosted_zones()["HostedZones"]
    assert [z["Id"] for z in zones] == [f"/hostedzone/{zone_id}"]
    assert zones[0]["Config"]["PrivateZone"] is True


# --- CreateVPCAssociationAuthorization / List / Delete ------------------------


def test_create_list_delete_authorization(owner_r53, zone_id, foreign_vpc):
    created = owner_r53.create_vpc_association_authorization(
        HostedZoneId=zone_id, VPC=_vpc(foreign_vpc)
    )
    assert created["HostedZoneId"] == zone_id
    assert created["VPC"] == _vpc(foreign_vpc)

    listed = owner_r53.list_vpc_association_authorizations(HostedZoneId=zone_id)
    assert listed["HostedZoneId"] == zone_id
    assert listed["VPCs"] == [_vpc(foreign_vpc)]
    assert "NextToken" not in listed

    # Authorizing the same VPC again succeeds and leaves one authorization.
    owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    listed = owner_r53.list_vpc_association_authorizations(HostedZoneId=zone_id)
    assert listed["VPCs"] == [_vpc(foreign_vpc)]

    owner_r53.delete_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    listed = owner_r53.list_vpc_association_authorizations(HostedZoneId=zone_id)
    assert listed["VPCs"] == []


def test_create_authorization_response_xml(owner_r53, zone_id, foreign_vpc):
    bodies = []
    owner_r53.meta.events.register(
        "after-call.route53.CreateVPCAssociationAuthorization",
        lambda http_response, **_: bodies.append(http_response.text),
    )
    owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    body = bodies[0]
    assert f'<CreateVPCAssociationAuthorizationResponse xmlns="{NS}">' in body
    assert f"<HostedZoneId>{zone_id}</HostedZoneId>" in body
    assert f"<VPC><VPCRegion>{REGION}</VPCRegion><VPCId>{foreign_vpc}</VPCId></VPC>" in body


def test_list_authorizations_paginates(owner_r53, zone_id, account_client):
    ec2 = account_client("ec2", VPC_OWNER, region=REGION)
    vpcs = [ec2.create_vpc(CidrBlock=f"10.{30 + i}.0.0/16")["Vpc"]["VpcId"] for i in range(3)]
    for v in vpcs:
        owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(v))

    first = owner_r53.list_vpc_association_authorizations(HostedZoneId=zone_id, MaxResults="2")
    assert [v["VPCId"] for v in first["VPCs"]] == vpcs[:2]
    assert first["NextToken"]
    second = owner_r53.list_vpc_association_authorizations(
        HostedZoneId=zone_id, MaxResults="2", NextToken=first["NextToken"]
    )
    assert [v["VPCId"] for v in second["VPCs"]] == vpcs[2:]
    assert "NextToken" not in second

    with pytest.raises(ClientError) as bad:
        owner_r53.list_vpc_association_authorizations(HostedZoneId=zone_id, NextToken="bogus")
    assert _error(bad)[0] == "InvalidPaginationToken"


def test_delete_missing_authorization(owner_r53, zone_id, foreign_vpc):
    with pytest.raises(ClientError) as exc:
        owner_r53.delete_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _error(exc) == ("VPCAssociationAuthorizationNotFound", 404)


def test_authorization_on_unknown_zone(owner_r53, foreign_vpc):
    for call in (
        lambda: owner_r53.create_vpc_association_authorization(
            HostedZoneId="Z0000000000000000000", VPC=_vpc(foreign_vpc)
        ),
        lambda: owner_r53.list_vpc_association_authorizations(HostedZoneId="Z0000000000000000000"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert _error(exc) == ("NoSuchHostedZone", 404)


def test_authorization_rejects_bad_vpc_id_and_public_zone(owner_r53, zone_id):
    with pytest.raises(ClientError) as exc:
        owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc("not-a-vpc"))
    assert _error(exc) == ("InvalidVPCId", 400)

    public = owner_r53.create_hosted_zone(Name="public.example.", CallerReference="pub")
    public_id = public["HostedZone"]["Id"].split("/")[-1]
    with pytest.raises(ClientError) as exc:
        owner_r53.create_vpc_association_authorization(
            HostedZoneId=public_id, VPC=_vpc("vpc-0123456789abcdef0")
        )
    assert _error(exc) == ("InvalidInput", 400)


def test_non_owner_cannot_manage_authorizations(vpc_owner_r53, owner_r53, zone_id, foreign_vpc):
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.create_vpc_association_authorization(
            HostedZoneId=zone_id, VPC=_vpc(foreign_vpc)
        )
    assert _error(exc) == ("NoSuchHostedZone", 404)
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.list_vpc_association_authorizations(HostedZoneId=zone_id)
    assert _error(exc) == ("NoSuchHostedZone", 404)
    assert owner_r53.list_vpc_association_authorizations(HostedZoneId=zone_id)["VPCs"] == []


# --- cross-account AssociateVPCWithHostedZone ---------------------------------


def test_cross_account_associate_without_authorization(
    vpc_owner_r53, owner_r53, zone_id, foreign_vpc, owner_vpc
):
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _error(exc) == ("NotAuthorizedException", 401)
    assert _zone_vpcs(owner_r53, zone_id) == [_vpc(owner_vpc)]


def test_cross_account_associate_with_authorization(
    vpc_owner_r53, owner_r53, zone_id, foreign_vpc, owner_vpc
):
    owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    resp = vpc_owner_r53.associate_vpc_with_hosted_zone(
        HostedZoneId=zone_id, VPC=_vpc(foreign_vpc), Comment="astro"
    )
    assert resp["ChangeInfo"]["Status"] == "INSYNC"
    assert resp["ChangeInfo"]["Comment"] == "astro"

    assert _zone_vpcs(owner_r53, zone_id) == [_vpc(owner_vpc), _vpc(foreign_vpc)]
    by_vpc = vpc_owner_r53.list_hosted_zones_by_vpc(VPCId=foreign_vpc, VPCRegion=REGION)
    assert by_vpc["HostedZoneSummaries"] == [
        {"HostedZoneId": zone_id, "Name": "astro.internal.", "Owner": {"OwningAccount": ZONE_OWNER}}
    ]


def test_authorization_for_other_region_does_not_authorize(
    vpc_owner_r53, owner_r53, zone_id, foreign_vpc
):
    owner_r53.create_vpc_association_authorization(
        HostedZoneId=zone_id, VPC=_vpc(foreign_vpc, region="us-west-2")
    )
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _error(exc) == ("NotAuthorizedException", 401)


def test_association_stays_after_authorization_deleted(
    vpc_owner_r53, owner_r53, zone_id, foreign_vpc, owner_vpc
):
    owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    vpc_owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    owner_r53.delete_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))

    assert _zone_vpcs(owner_r53, zone_id) == [_vpc(owner_vpc), _vpc(foreign_vpc)]
    assert owner_r53.list_vpc_association_authorizations(HostedZoneId=zone_id)["VPCs"] == []

    # The VPC owner may still disassociate; re-associating then needs a new
    # authorization.
    vpc_owner_r53.disassociate_vpc_from_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _zone_vpcs(owner_r53, zone_id) == [_vpc(owner_vpc)]
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _error(exc) == ("NotAuthorizedException", 401)


def test_cross_account_associate_requires_callers_vpc(
    vpc_owner_r53, owner_r53, zone_id, account_client
):
    # An authorization exists for a VPC that account V did not create.
    other = account_client("ec2", "333333333333", region=REGION)
    not_v_vpc = other.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(not_v_vpc))
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(not_v_vpc))
    assert _error(exc) == ("InvalidVPCId", 400)


def test_zone_owner_cannot_associate_foreign_vpc(owner_r53, zone_id, foreign_vpc, owner_vpc):
    owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    with pytest.raises(ClientError) as exc:
        owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _error(exc) == ("NotAuthorizedException", 401)
    assert _zone_vpcs(owner_r53, zone_id) == [_vpc(owner_vpc)]


def test_repeated_association_conflicts(
    vpc_owner_r53, owner_r53, zone_id, foreign_vpc, owner_vpc
):
    with pytest.raises(ClientError) as exc:
        owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(owner_vpc))
    assert _error(exc) == ("ConflictingDomainExists", 400)

    owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    vpc_owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _error(exc) == ("ConflictingDomainExists", 400)
    assert _zone_vpcs(owner_r53, zone_id) == [_vpc(owner_vpc), _vpc(foreign_vpc)]


def test_associate_unknown_zone(vpc_owner_r53, foreign_vpc):
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.associate_vpc_with_hosted_zone(
            HostedZoneId="Z0000000000000000000", VPC=_vpc(foreign_vpc)
        )
    assert _error(exc) == ("NoSuchHostedZone", 404)


# --- DisassociateVPCFromHostedZone --------------------------------------------


def test_disassociate_errors(owner_r53, vpc_owner_r53, zone_id, owner_vpc, foreign_vpc):
    with pytest.raises(ClientError) as exc:
        owner_r53.disassociate_vpc_from_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _error(exc) == ("VPCAssociationNotFound", 404)

    with pytest.raises(ClientError) as exc:
        owner_r53.disassociate_vpc_from_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(owner_vpc))
    assert _error(exc) == ("LastVPCAssociation", 400)

    # Account V may not disassociate C's own VPC from C's zone.
    owner_r53.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    vpc_owner_r53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    with pytest.raises(ClientError) as exc:
        vpc_owner_r53.disassociate_vpc_from_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(owner_vpc))
    assert _error(exc) == ("InvalidVPCId", 400)

    # The zone owner may disassociate any VPC, including V's.
    owner_r53.disassociate_vpc_from_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _zone_vpcs(owner_r53, zone_id) == [_vpc(owner_vpc)]


# --- ListHostedZonesByVPC -------------------------------------------------------


def test_list_hosted_zones_by_vpc_region_and_paging(owner_r53, owner_vpc, zone_id):
    owner_r53.create_hosted_zone(
        Name="second.internal.",
        CallerReference="zone-2",
        HostedZoneConfig={"PrivateZone": True},
        VPC=_vpc(owner_vpc),
    )
    first = owner_r53.list_hosted_zones_by_vpc(VPCId=owner_vpc, VPCRegion=REGION, MaxItems="1")
    assert len(first["HostedZoneSummaries"]) == 1
    assert first["MaxItems"] == "1"
    assert first["HostedZoneSummaries"][0]["Owner"] == {"OwningAccount": ZONE_OWNER}
    second = owner_r53.list_hosted_zones_by_vpc(
        VPCId=owner_vpc, VPCRegion=REGION, MaxItems="1", NextToken=first["NextToken"]
    )
    names = {first["HostedZoneSummaries"][0]["Name"], second["HostedZoneSummaries"][0]["Name"]}
    assert names == {"astro.internal.", "second.internal."}
    assert "NextToken" not in second

    other_region = owner_r53.list_hosted_zones_by_vpc(VPCId=owner_vpc, VPCRegion="us-west-2")
    assert other_region["HostedZoneSummaries"] == []


def test_header_attribution_works_too(account_client, zone_id, foreign_vpc, owner_vpc):
    owner = account_client("route53", ZONE_OWNER, via="header")
    vowner = account_client("route53", VPC_OWNER, via="header")
    owner.create_vpc_association_authorization(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    vowner.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC=_vpc(foreign_vpc))
    assert _zone_vpcs(owner, zone_id) == [_vpc(owner_vpc), _vpc(foreign_vpc)]


def test_hosted_zone_ids_start_with_z(owner_r53, owner_vpc):
    """Route 53 hosted zone IDs look like Z1D633PJN98FT9: "Z", then upper-case letters and
    digits (template.yaml validates PrivateHostedZoneIds with Z[0-9A-Z]{1,31})."""
    ids = [
        owner_r53.create_hosted_zone(
            Name=f"zone{i}.internal.", CallerReference=f"zone-id-{i}",
            **({"HostedZoneConfig": {"PrivateZone": True}, "VPC": _vpc(owner_vpc)} if i % 2 else {}),
        )["HostedZone"]["Id"].split("/")[-1]
        for i in range(6)
    ]
    assert all(re.fullmatch(r"Z[0-9A-Z]{1,31}", zone_id) for zone_id in ids), ids
    assert len(set(ids)) == len(ids)
