"""Route 53 extensions to moto 5.2.1 for the astro-handshake test harness.

moto keeps one Route 53 backend per account
(``route53_backends[account]["global"]``) and has no notion of a VPC
association authorization, so a VPC owned by one account can never be
associated with a private hosted zone owned by another.  The functions below
add what the Route 53 API Reference (2013-04-01) describes:

* ``_install_authorization_operations``: CreateVPCAssociationAuthorization,
  ListVPCAssociationAuthorizations, DeleteVPCAssociationAuthorization.
* ``_install_associate_vpc``: AssociateVPCWithHostedZone across accounts,
  gated on an authorization; ConflictingDomainExists on a repeated association.
* ``_install_disassociate_vpc``: DisassociateVPCFromHostedZone by the VPC
  owner across accounts; VPCAssociationNotFound.
* ``_install_list_hosted_zones_by_vpc``: ListHostedZonesByVPC across owners,
  with VPCRegion, MaxItems and NextToken.
* ``_install_zone_ids``: hosted zone IDs start with "Z".

Request parsing and XML serialization are moto's own, driven by botocore's
Route 53 model, so every response and error has the shape (element names,
namespace https://route53.amazonaws.com/doc/2013-04-01/, HTTP status) that
the model declares for it.
"""
import re
import string

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random as random
from moto.route53 import models as route53_models
from moto.route53 import urls as route53_urls
from moto.route53.exceptions import (
    InvalidInput,
    InvalidPaginationToken,
    InvalidVPCId,
    LastVPCAssociation,
    NoSuchHostedZone,
    PublicZoneVPCAssociation,
    Route53ClientError,
)
from moto.route53.models import FakeZone, Route53Backend, route53_backends
from moto.route53.responses import Route53
from moto.utilities.id_generator import moto_id

_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_LIST_AUTHORIZATIONS_DEFAULT = 50  # API reference: "returns up to 50 VPCs per page"
_LIST_BY_VPC_DEFAULT = 100


# --------------------------------------------------------------------------
# Errors moto lacks (codes, and HTTP status via the botocore model, as in AWS)
# --------------------------------------------------------------------------


class VPCAssociationAuthorizationNotFound(Route53ClientError):
    """404: "The VPC that you specified is not authorized to be associated
    with the hosted zone." (DeleteVPCAssociationAuthorization)."""

    def __init__(self) -> None:
        super().__init__(
            "VPCAssociationAuthorizationNotFound",
            "The VPC that you specified is not authorized to be associated "
            "with the hosted zone.",
        )


class NotAuthorizedException(Route53ClientError):
    """401: "Associating the specified VPC with the specified hosted zone has
    not been authorized." (AssociateVPCWithHostedZone)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            "NotAuthorizedException",
            message
            or "Associating the specified VPC with the specified hosted zone "
            "has not been authorized.",
        )


class VPCAssociationNotFound(Route53ClientError):
    """404: "The specified VPC and hosted zone are not currently associated."
    (DisassociateVPCFromHostedZone)."""

    def __init__(self, vpc_id: str, zone_id: str) -> None:
        super().__init__(
            "VPCAssociationNotFound",
            f"The specified VPC {vpc_id} and hosted zone {zone_id} are not "
            "currently associated.",
        )


class VPCConflictingDomainExists(Route53ClientError):
    """400 ConflictingDomainExists, AssociateVPCWithHostedZone case: "The VPC
    that you specified is already associated with another hosted zone that has
    the same name." (message as AWS words it)."""

    def __init__(self, vpc_id: str, vpc_region: str, zone_name: str) -> None:
        super().__init__(
            "ConflictingDomainExists",
            f"The VPC that you chose, {vpc_id} in region {vpc_region}, is "
            "already associated with another private hosted zone that has an "
            f"overlapping name space, {zone_name}.",
        )


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _bare_zone_id(zone_id: str) -> str:
    return (zone_id or "").replace("/hostedzone/", "")


def _authorizations(zone: FakeZone) -> list:
    """The zone's VPC association authorizations, as {"vpc_id", "vpc_region"}
    dicts in creation order.  Kept on the zone so they go with it when the
    zone is deleted or moto is reset."""
    return zone.__dict__.setdefault("_astro_vpc_authorizations", [])


def _find_zone_any_account(zone_id: str):
    """(owner_account_id, zone) for a hosted zone id, searching the Route 53
    backends of every account that exists in the emulator; None if absent.
    Only already-instantiated backends are visited (none are created)."""
    bare = _bare_zone_id(zone_id)
    for account_id, _partition, backend in list(route53_backends.iter_backends()):
        zone = backend.zones.get(bare)
        if zone is not None:
            return account_id, zone
    return None


def _locate_zone(backend: Route53Backend, zone_id: str):
    """Caller's own zone first (moto's behaviour), else another account's."""
    bare = _bare_zone_id(zone_id)
    zone = backend.zones.get(bare)
    if zone is not None:
        return backend.account_id, zone
    found = _find_zone_any_account(bare)
    if found is None:
        raise NoSuchHostedZone(zone_id)
    return found


def _vpc_owner_accounts(vpc_id: str, vpc_region: str) -> list:
    """Accounts whose EC2 backend in vpc_region holds vpc_id (moto EC2 state;
    backends are looked at, never created)."""
    from moto.ec2.models import ec2_backends

    owners = []
    for account_id, account_backends in list(ec2_backends.items()):
        region_backend = dict.get(account_backends, vpc_region)
        if region_backend is not None and vpc_id in getattr(region_backend, "vpcs", {}):
            owners.append(account_id)
    return owners


def _vpc_param(response: Route53, require_region: bool):
    vpc_id = response._get_param("VPC.VPCId")
    vpc_region = response._get_param("VPC.VPCRegion")
    if not vpc_id or not _VPC_ID.match(vpc_id):
        raise InvalidVPCId()
    if require_region and not vpc_region:
        raise InvalidInput("Invalid request: VPCRegion is required.")
    return vpc_id, vpc_region


def _same_vpc(entry: dict, vpc_id: str, vpc_region: str | None) -> bool:
    if entry.get("vpc_id") != vpc_id:
        return False
    if vpc_region and entry.get("vpc_region") and entry["vpc_region"] != vpc_region:
        return False
    return True


def _change_info(comment=None) -> dict:
    info = {"Id": "/change/C2682N5HXP0BZ4", "Status": "INSYNC", "SubmittedAt": utcnow()}
    if comment is not None:
        info["Comment"] = comment
    return info


# --------------------------------------------------------------------------
# 1. VPC association authorizations
# --------------------------------------------------------------------------


def _install_authorization_operations():
    """CreateVPCAssociationAuthorization / ListVPCAssociationAuthorizations /
    DeleteVPCAssociationAuthorization.

    AWS (API Reference): the account that created the private hosted zone
    authorizes the account that created a VPC to submit an
    AssociateVPCWithHostedZone request for that VPC; one authorization per VPC.
    Only the zone owner may create, list or delete authorizations: another
    account does not see the zone, so it gets NoSuchHostedZone (the only
    "zone not available" error these operations declare).  Delete only stops
    future associations; an existing association stays.  Deleting an
    authorization that does not exist -> VPCAssociationAuthorizationNotFound
    (404).  The reference declares no "already exists" error for Create, so
    authorizing the same VPC again succeeds and leaves one authorization.
    List returns up to MaxResults (default 50) VPCs and a NextToken when more
    remain; a bad MaxResults -> InvalidInput, a bad NextToken ->
    InvalidPaginationToken.  A public zone -> InvalidInput (authorization is
    defined for private hosted zones only).

    moto gap: no such operations, no URL routes for them.
    Patch: routes for /authorizevpcassociation and /deauthorizevpcassociation,
    backend methods on Route53Backend, response methods on Route53.
    """

    def _owned_private_zone(self: Route53Backend, zone_id: str) -> FakeZone:
        zone = self.get_hosted_zone(zone_id)  # caller's zones only
        if not zone.private_zone:
            raise InvalidInput(
                "Invalid request: hosted zone "
                f"{zone.resource_id} is a public hosted zone; VPC association "
                "authorizations apply to private hosted zones only."
            )
        return zone

    def create_vpc_association_authorization(self, zone_id, vpc_id, vpc_region):
        zone = _owned_private_zone(self, zone_id)
        auths = _authorizations(zone)
        if not any(a["vpc_id"] == vpc_id and a["vpc_region"] == vpc_region for a in auths):
            auths.append({"vpc_id": vpc_id, "vpc_region": vpc_region})
        return zone

    def delete_vpc_association_authorization(self, zone_id, vpc_id, vpc_region):
        zone = _owned_private_zone(self, zone_id)
        auths = _authorizations(zone)
        remaining = [a for a in auths if not _same_vpc(a, vpc_id, vpc_region)]
        if len(remaining) == len(auths):
            raise VPCAssociationAuthorizationNotFound()
        auths[:] = remaining
        return zone

    def list_vpc_association_authorizations(self, zone_id, next_token, max_results):
        zone = _owned_private_zone(self, zone_id)
        auths = list(_authorizations(zone))
        start = 0
        if next_token:
            if not next_token.isdigit() or int(next_token) > len(auths):
                raise InvalidPaginationToken()
            start = int(next_token)
        page = auths[start : start + max_results]
        end = start + len(page)
        return zone, page, (str(end) if end < len(auths) else None)

    Route53Backend.create_vpc_association_authorization = create_vpc_association_authorization
    Route53Backend.delete_vpc_association_authorization = delete_vpc_association_authorization
    Route53Backend.list_vpc_association_authorizations = list_vpc_association_authorizations

    def r_create(self: Route53) -> ActionResult:
        zone_id = self._get_param("HostedZoneId")
        vpc_id, vpc_region = _vpc_param(self, require_region=True)
        zone = self.backend.create_vpc_association_authorization(zone_id, vpc_id, vpc_region)
        return ActionResult(
            {"HostedZoneId": zone.resource_id, "VPC": {"VPCRegion": vpc_region, "VPCId": vpc_id}}
        )

    def r_delete(self: Route53) -> ActionResult:
        zone_id = self._get_param("HostedZoneId")
        vpc_id, vpc_region = _vpc_param(self, require_region=True)
        self.backend.delete_vpc_association_authorization(zone_id, vpc_id, vpc_region)
        return EmptyResult()

    def r_list(self: Route53) -> ActionResult:
        zone_id = self._get_param("HostedZoneId")
        raw_max = self._get_param("MaxResults")
        max_results = _LIST_AUTHORIZATIONS_DEFAULT
        if raw_max not in (None, ""):
            if not str(raw_max).isdigit() or int(raw_max) < 1:
                raise InvalidInput("Invalid request: MaxResults must be a positive integer.")
            max_results = int(raw_max)
        zone, page, next_token = self.backend.list_vpc_association_authorizations(
            zone_id, self._get_param("NextToken"), max_results
        )
        result = {
            "HostedZoneId": zone.resource_id,
            "VPCs": [{"VPCRegion": a["vpc_region"], "VPCId": a["vpc_id"]} for a in page],
        }
        if next_token:
            result["NextToken"] = next_token
        return ActionResult(result)

    Route53.create_vpc_association_authorization = r_create
    Route53.delete_vpc_association_authorization = r_delete
    Route53.list_vpc_association_authorizations = r_list

    paths = route53_urls.url_paths
    paths[r"{0}/(?P<api_version>[\d_-]+)/hostedzone/(?P<zone_id>[^/]+)/authorizevpcassociation/?$"] = Route53.dispatch
    paths[r"{0}/(?P<api_version>[\d_-]+)/hostedzone/(?P<zone_id>[^/]+)/deauthorizevpcassociation/?$"] = Route53.dispatch


# --------------------------------------------------------------------------
# 2. AssociateVPCWithHostedZone across accounts
# --------------------------------------------------------------------------


def _install_associate_vpc():
    """AssociateVPCWithHostedZone.

    AWS (API Reference): to associate a VPC created by one account with a
    private hosted zone created by another, the zone owner first calls
    CreateVPCAssociationAuthorization, then the VPC owner calls
    AssociateVPCWithHostedZone; without an authorization ->
    NotAuthorizedException (401).  The VPC must belong to the caller
    (InvalidVPCId: "the current account is not authorized to access this
    VPC"); the zone owner cannot associate another account's VPC itself
    (AWS answers NotAuthorizedException "User: ... is not authorized to
    perform: route53:AssociateVPCWithHostedZone on resource:
    arn:aws:ec2:REGION:ZONE_ACCOUNT:vpc/VPC").  Public zone ->
    PublicZoneVPCAssociation.  A VPC already associated with a zone of the
    same name (the same zone included) -> ConflictingDomainExists.

    moto gap: zones are looked up in the caller's backend only (the VPC owner
    gets NoSuchHostedZone), no authorization check, and a repeated
    association is appended again as a duplicate.
    Patch: find the zone in the owner's backend, require the caller's VPC and
    an authorization when caller != owner, add the association to the owner's
    zone.  Same-account calls keep moto's behaviour (no EC2 existence check)
    except that a VPC known to belong to another account is refused and a
    repeated association answers ConflictingDomainExists.
    """

    def associate_vpc_with_hosted_zone(self: Route53Backend, zone_id, vpcid, vpcregion):
        owner, zone = _locate_zone(self, zone_id)
        if not zone.private_zone:
            raise PublicZoneVPCAssociation()
        caller = self.account_id
        if caller == owner:
            if vpcregion:
                owners = _vpc_owner_accounts(vpcid, vpcregion)
                if owners and caller not in owners:
                    raise NotAuthorizedException(
                        f"User: arn:aws:iam::{caller} is not authorized to perform: "
                        "route53:AssociateVPCWithHostedZone on resource: "
                        f"arn:aws:ec2:{vpcregion}:{caller}:vpc/{vpcid}"
                    )
        else:
            if not vpcregion or caller not in _vpc_owner_accounts(vpcid, vpcregion):
                raise InvalidVPCId()
            if not any(
                a["vpc_id"] == vpcid and a["vpc_region"] == vpcregion
                for a in _authorizations(zone)
            ):
                raise NotAuthorizedException()
        for _acct, _part, backend in list(route53_backends.iter_backends()):
            for other in backend.zones.values():
                if other.private_zone and other.name == zone.name and any(
                    _same_vpc(v, vpcid, vpcregion) for v in other.vpcs
                ):
                    raise VPCConflictingDomainExists(vpcid, vpcregion, zone.name)
        zone.add_vpc(vpcid, vpcregion)
        return zone

    Route53Backend.associate_vpc_with_hosted_zone = associate_vpc_with_hosted_zone

    def r_associate(self: Route53) -> ActionResult:
        zone_id = self._get_param("HostedZoneId")
        vpc_id = self._get_param("VPC.VPCId")
        if not vpc_id:
            raise InvalidVPCId()
        self.backend.associate_vpc_with_hosted_zone(
            zone_id, vpc_id, self._get_param("VPC.VPCRegion")
        )
        return ActionResult({"ChangeInfo": _change_info(self._get_param("Comment"))})

    Route53.associate_vpc_with_hosted_zone = r_associate


# --------------------------------------------------------------------------
# DisassociateVPCFromHostedZone
# --------------------------------------------------------------------------


def _install_disassociate_vpc():
    """DisassociateVPCFromHostedZone.

    AWS (API Reference): the zone owner can disassociate any VPC from its
    zone; the account that created a VPC can disassociate it from a zone
    created by another account.  VPC not associated with the zone ->
    VPCAssociationNotFound (404); removing the last VPC ->
    LastVPCAssociation.

    moto gap: caller's zones only; a VPC that is not associated is silently
    accepted (or reported as LastVPCAssociation).
    Patch: zone found in the owner's backend; a non-owner must own the VPC
    (else InvalidVPCId); VPCAssociationNotFound before LastVPCAssociation.
    """

    def disassociate_vpc_from_hosted_zone(self: Route53Backend, zone_id, vpcid, vpcregion=None):
        owner, zone = _locate_zone(self, zone_id)
        caller = self.account_id
        if caller != owner:
            regions = [vpcregion] if vpcregion else [
                v.get("vpc_region") for v in zone.vpcs if v.get("vpc_id") == vpcid
            ]
            if not any(r and caller in _vpc_owner_accounts(vpcid, r) for r in regions):
                raise InvalidVPCId()
        if not any(_same_vpc(v, vpcid, vpcregion) for v in zone.vpcs):
            raise VPCAssociationNotFound(vpcid, zone.resource_id)
        if len(zone.vpcs) <= 1:
            raise LastVPCAssociation()
        zone.vpcs = [v for v in zone.vpcs if not _same_vpc(v, vpcid, vpcregion)]
        return zone

    Route53Backend.disassociate_vpc_from_hosted_zone = disassociate_vpc_from_hosted_zone

    def r_disassociate(self: Route53) -> ActionResult:
        zone_id = self._get_param("HostedZoneId")
        vpc_id = self._get_param("VPC.VPCId")
        if not vpc_id:
            raise InvalidVPCId()
        self.backend.disassociate_vpc_from_hosted_zone(
            zone_id, vpc_id, self._get_param("VPC.VPCRegion")
        )
        return ActionResult({"ChangeInfo": _change_info(self._get_param("Comment"))})

    Route53.disassociate_vpc_from_hosted_zone = r_disassociate


# --------------------------------------------------------------------------
# ListHostedZonesByVPC
# --------------------------------------------------------------------------


def _install_list_hosted_zones_by_vpc():
    """ListHostedZonesByVPC.

    AWS (API Reference): "Lists all the private hosted zones that a specified
    VPC is associated with, regardless of which AWS account or AWS service owns
    the hosted zones"; each summary carries Owner.OwningAccount of the zone's
    owner; the VPC is identified by VPCId and VPCRegion; MaxItems and
    NextToken paginate, and the response echoes MaxItems.

    moto gap: only the caller's zones, VPCRegion ignored, no MaxItems in the
    response, no pagination.
    Patch: search all accounts' zones, match id and region, paginate.
    """

    def list_hosted_zones_by_vpc(self: Route53Backend, vpc_id, vpc_region=None):
        summaries = []
        for account_id, _part, backend in list(route53_backends.iter_backends()):
            for zone in backend.zones.values():
                if zone.private_zone and any(_same_vpc(v, vpc_id, vpc_region) for v in zone.vpcs):
                    summaries.append(
                        {
                            "HostedZoneId": zone.resource_id,
                            "Name": zone.name,
                            "Owner": {"OwningAccount": account_id},
                        }
                    )
        return summaries

    Route53Backend.list_hosted_zones_by_vpc = list_hosted_zones_by_vpc

    def r_list_by_vpc(self: Route53) -> ActionResult:
        vpc_id = self._get_param("VPCId")
        if not vpc_id:
            raise InvalidVPCId()
        raw_max = self._get_param("MaxItems")
        max_items = _LIST_BY_VPC_DEFAULT
        if raw_max not in (None, ""):
            if not str(raw_max).isdigit() or int(raw_max) < 1:
                raise InvalidInput("Invalid request: MaxItems must be a positive integer.")
            max_items = int(raw_max)
        summaries = self.backend.list_hosted_zones_by_vpc(vpc_id, self._get_param("VPCRegion"))
        token = self._get_param("NextToken")
        start = 0
        if token:
            if not token.isdigit() or int(token) > len(summaries):
                raise InvalidPaginationToken()
            start = int(token)
        page = summaries[start : start + max_items]
        end = start + len(page)
        result = {"HostedZoneSummaries": page, "MaxItems": str(max_items)}
        if end < len(summaries):
            result["NextToken"] = str(end)
        return ActionResult(result)

    Route53.list_hosted_zones_by_vpc = r_list_by_vpc


# --------------------------------------------------------------------------
# Hosted zone IDs
# --------------------------------------------------------------------------


def _install_zone_ids():
    """Hosted zone IDs.

    AWS: a hosted zone ID is "Z" followed by upper-case letters and digits (API Reference
    examples such as Z1D633PJN98FT9); templates and tools validate them with patterns such as
    Z[0-9A-Z]+ (template.yaml's PrivateHostedZoneIds does).
    moto gap: 22 random upper-case letters and digits (any first character).
    Patch: "Z" followed by 21 of them; ids set through moto's custom-id API are kept.
    """
    chars = string.ascii_uppercase + string.digits

    @moto_id
    def create_route53_zone_id(resource_identifier, existing_ids=None, tags=None):  # noqa: ARG001
        return "Z" + "".join(random.choice(chars) for _ in range(21))

    route53_models.create_route53_zone_id = create_route53_zone_id


def install():
    _install_zone_ids()
    _install_authorization_operations()
    _install_associate_vpc()
    _install_disassociate_vpc()
    _install_list_hosted_zones_by_vpc()
