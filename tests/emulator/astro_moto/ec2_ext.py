"""EC2 extensions: what moto 5.2.1 lacks on the Astro handshake path.

Every function below patches one behaviour of moto's own EC2 classes so that
it follows the Amazon EC2 API reference; ``install()`` applies them all.

State model for Transit Gateway (TGW) attachments:
  * one attachment object, registered in *both* the TGW owner's backend and
    the VPC owner's backend (``transit_gateway_attachments``), as moto already
    does for cross-account peering attachments, so both accounts' describes
    list it;
  * ``_tgw_owner_id`` on the object names the TGW owner; the route-table
    association lives only in the owner's route tables, which are the single
    source of truth for the attachment's ``Association`` field.
"""
from __future__ import annotations

import re
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import (
    DuplicateTransitGatewayAttachmentError,
    EC2ClientError,
    InvalidTransitGatewayID,
)
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.transit_gateway_attachments import (
    TransitGatewayAttachment,
    TransitGatewayVpcAttachment,
)
from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRelations
from moto.ec2.models.vpc_peering_connections import VPCPeeringConnection
from moto.ec2.responses import EC2Response
from moto.ec2.utils import describe_tag_filter

# moto's implementations, captured once before patching.
_ORIG: dict[str, Any] = {}

# States in which an attachment still exists for duplicate checks.
_GONE_STATES = {"deleted", "deleting", "rejected", "failed", "failing"}


# --------------------------------------------------------------------------
# Errors (codes and messages as the EC2 API returns them)
# --------------------------------------------------------------------------
class AttachmentNotFound(EC2ClientError):
    def __init__(self, attachment_id: str):
        super().__init__(
            "InvalidTransitGatewayAttachmentID.NotFound",
            f"Transit Gateway Attachment {attachment_id} was deleted or does not exist.",
        )


class IncorrectState(EC2ClientError):
    def __init__(self, resource_id: str):
        super().__init__("IncorrectState", f"{resource_id} is in invalid state")


class RouteAlreadyExists(EC2ClientError):
    def __init__(self, cidr: str, route_table_id: str):
        super().__init__(
            "RouteAlreadyExists",
            f"Route {cidr} already exists in Transit Gateway Route Table {route_table_id}.",
        )


class TgwRouteTableNotFound(EC2ClientError):
    def __init__(self, route_table_id: str):
        super().__init__(
            "InvalidRouteTableID.NotFound",
            f"Transit Gateway Route Table {route_table_id} was deleted or does not exist.",
        )


class AlreadyAssociated(EC2ClientError):
    def __init__(self, attachment_id: str):
        super().__init__(
            "Resource.AlreadyAssociated",
            f"Transit Gateway Attachment {attachment_id} is already associated to a route table.",
        )


class AssociationNotFound(EC2ClientError):
    def __init__(self, attachment_id: str, route_table_id: str):
        super().__init__(
            "InvalidAssociation.NotFound",
            f"Transit Gateway Attachment {attachment_id} is not associated with {route_table_id}.",
        )


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def _existing_backend(backend_dict: Any, account_id: str, region: str) -> Any:
    """The backend for account/region if it already exists (never creates one)."""
    per_account = dict.get(backend_dict, account_id)
    if per_account is None or region not in dict.keys(per_account):
        return None
    return per_account[region]


def _principal_matches(principal: str, account_id: str) -> bool:
    return principal in (account_id, f"arn:aws:iam::{account_id}:root")


def _find_shared_transit_gateway(transit_gateway_id: str, account_id: str, region: str) -> Any:
    """The TGW ``transit_gateway_id`` owned by another account and shared with
    ``account_id`` through an ACTIVE RAM resource share in ``region``, else None."""
    from moto.ram.models import ram_backends

    arn_re = re.compile(
        rf"^arn:aws[a-z-]*:ec2:{re.escape(region)}:(\d{{12}}):transit-gateway/"
        rf"{re.escape(transit_gateway_id)}$"
    )
    for owner_id in list(dict.keys(ram_backends)):
        ram = _existing_backend(ram_backends, owner_id, region)
        if ram is None:
            continue
        for share in ram.resource_shares:
            if share.status != "ACTIVE":
                continue
            if not any(_principal_matches(p, account_id) for p in share.principals):
                continue
            for arn in share.resource_arns:
                match = arn_re.match(arn)
                if match and match.group(1) == owner_id:
                    owner = _existing_backend(ec2_backends, owner_id, region)
                    tgw = owner.transit_gateways.get(transit_gateway_id) if owner else None
                    if tgw is not None:
                        return tgw
    return None


def _tgw_owner_id(attachment: Any) -> str:
    return getattr(attachment, "_tgw_owner_id", None) or attachment.ec2_backend.account_id


def _tgw_backend(attachment: Any) -> Any:
    return ec2_backends[_tgw_owner_id(attachment)][attachment.ec2_backend.region_name]


def _associated_route_table(owner_backend: Any, attachment_id: str) -> Any:
    for table in owner_backend.transit_gateways_route_tables.values():
        if attachment_id in table.route_table_associations:
            return table
    return None


def _attach_to_default_route_tables(owner_backend: Any, tgw: Any, attachment: Any) -> None:
    """AWS: when an attachment becomes available it is associated with the
    TGW's AssociationDefaultRouteTableId if DefaultRouteTableAssociation=enable,
    and propagates to PropagationDefaultRouteTableId if
    DefaultRouteTablePropagation=enable."""
    opts = tgw.options
    tables = owner_backend.transit_gateways_route_tables
    assoc_rt = opts.get("AssociationDefaultRouteTableId")
    if opts.get("DefaultRouteTableAssociation") == "enable" and assoc_rt in tables:
        _ORIG["associate_transit_gateway_route_table"](owner_backend, attachment.id, assoc_rt)
    prop_rt = opts.get("PropagationDefaultRouteTableId")
    if opts.get("DefaultRouteTablePropagation") == "enable" and prop_rt in tables:
        owner_backend.enable_transit_gateway_route_table_propagation(attachment.id, prop_rt)


def _owned_vpc_attachment(backend: Any, attachment_id: str) -> Any:
    """The VPC attachment if the caller owns its TGW; AWS answers NotFound otherwise."""
    attachment = backend.transit_gateway_attachments.get(attachment_id)
    if (
        attachment is None
        or attachment.resource_type != "vpc"
        or _tgw_owner_id(attachment) != backend.account_id
    ):
        raise AttachmentNotFound(attachment_id)
    return attachment


def _apply_filters(items: list, filters: dict, getters: dict) -> list:
    """EC2 filter semantics: values OR'ed within a filter, filters AND'ed;
    unknown filter names other than tag:* are ignored (as moto does)."""
    result = items
    for name, values in (filters or {}).items():
        getter = getters.get(name)
        if getter is None:
            continue
        wanted = {str(v) for v in values or []}
        result = [i for i in result if str(getter(i)) in wanted]
    if filters and any(k.startswith("tag:") for k in filters):
        result = describe_tag_filter(filters, result)
    return result


def _assoc_field(field: str):
    def get(att: Any) -> Any:
        assoc = att.association
        return assoc.get(field) if assoc else None

    return get


# --------------------------------------------------------------------------
# 1. DescribeVpcPeeringConnections: cidrBlockSet / ipv6CidrBlockSet / region
# --------------------------------------------------------------------------
def _vpc_info_with_cidr_sets(vpc: Any, info: dict) -> dict:
    info = dict(info)
    info["Region"] = vpc.region
    info["CidrBlockSet"] = [
        {"CidrBlock": c["cidr_block"]}
        for c in vpc.get_cidr_block_association_set(ipv6=False)
        if c["cidr_block_state"]["state"] == "associated"
    ]
    ipv6 = [
        {"Ipv6CidrBlock": c["cidr_block"]}
        for c in vpc.get_cidr_block_association_set(ipv6=True)
        if c["cidr_block_state"]["state"] == "associated"
    ]
    if ipv6:
        info["Ipv6CidrBlockSet"] = ipv6
    return info


def patch_vpc_peering_cidr_block_set() -> None:
    """AWS VpcPeeringConnectionVpcInfo carries ``cidrBlockSet`` (every IPv4
    block associated with the VPC, primary and secondary), ``ipv6CidrBlockSet``
    and ``region`` besides the primary ``cidrBlock``; moto only returns the
    primary block, so secondary CIDRs were invisible."""
    orig_req = VPCPeeringConnection.requester_vpc_info.fget
    orig_acc = VPCPeeringConnection.accepter_vpc_info.fget
    VPCPeeringConnection.requester_vpc_info = property(
        lambda self: _vpc_info_with_cidr_sets(self.vpc, orig_req(self))
    )
    VPCPeeringConnection.accepter_vpc_info = property(
        lambda self: _vpc_info_with_cidr_sets(self.peer_vpc, orig_acc(self))
    )


class _PeeringAsSeenBy:
    """A peering connection whose tags are those the viewing account set."""

    def __init__(self, pcx: Any, viewer_backend: Any):
        self._pcx = pcx
        self._viewer = viewer_backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pcx, name)

    def get_tags(self) -> list:
        return self._viewer.describe_tags(filters={"resource-id": [self._pcx.id]})

    @property
    def tag_set(self) -> list:
        return self.get_tags()

    @property
    def tag_list(self) -> list:
        return self.get_tags()


def _peering_values(view: Any, name: str) -> list:
    """The values a DescribeVpcPeeringConnections filter compares (EC2 API reference)."""
    p = view._pcx if hasattr(view, "_pcx") else view
    requester, accepter = p.vpc, p.peer_vpc
    simple = {
        "vpc-peering-connection-id": [p.id],
        "status-code": [p._status.code],
        "status-message": [p._status.message],
        "requester-vpc-info.vpc-id": [requester.id],
        "requester-vpc-info.owner-id": [requester.owner_id],
        "requester-vpc-info.cidr-block": [requester.cidr_block],
        "accepter-vpc-info.vpc-id": [accepter.id],
        "accepter-vpc-info.owner-id": [accepter.owner_id],
        "accepter-vpc-info.cidr-block": [accepter.cidr_block],
    }
    if name in simple:
        return simple[name]
    tags = {t["key"]: t["value"] for t in view.get_tags()} if hasattr(view, "get_tags") else {}
    if name == "tag-key":
        return list(tags)
    if name.startswith("tag:"):
        key = name[4:]
        return [tags[key]] if key in tags else []
    from moto.ec2.exceptions import FilterNotImplementedError

    raise FilterNotImplementedError(name, "DescribeVpcPeeringConnections")


def _peering_matches(view: Any, filters: dict) -> bool:
    """Every filter matches (AND); within one filter, any value (OR)."""
    return all(set(_peering_values(view, name)) & set(values) for name, values in filters.items())


def patch_vpc_peering_tags_per_account() -> None:
    """In AWS each account keeps its own tags on a cross-account peering
    connection: the accepter's CreateTags shows in the accepter's
    DescribeVpcPeeringConnections (and the requester's tags in the
    requester's). moto rendered the requester account's tags to both sides, so
    the accepter never saw the tags it set. Describe now renders the calling
    account's tags."""
    from moto.ec2.responses.vpc_peering_connections import VPCPeeringConnections

    def describe_vpc_peering_connections(self: Any) -> ActionResult:
        ids = self._get_param("VpcPeeringConnectionIds", [])
        found = self.ec2_backend.describe_vpc_peering_connections(vpc_peering_ids=ids)
        viewed = [_PeeringAsSeenBy(p, self.ec2_backend) for p in found]
        filters = self._filters_from_querystring()
        viewed = [v for v in viewed if _peering_matches(v, filters)]
        return ActionResult({"VpcPeeringConnections": viewed})

    VPCPeeringConnections.describe_vpc_peering_connections = describe_vpc_peering_connections


# --------------------------------------------------------------------------
# 2. CreateTransitGatewayVpcAttachment on a TGW shared through RAM
# --------------------------------------------------------------------------
def patch_attachment_owner_fields() -> None:
    """AWS TransitGatewayAttachment: ``transitGatewayOwnerId`` is the TGW's
    account and ``association`` is the route table the attachment is currently
    associated with (absent when none). moto reported the resource owner as
    TGW owner and a stale association fixed at creation."""
    orig_association = TransitGatewayAttachment.association.fget

    def association(self: Any) -> Any:
        if not isinstance(self, TransitGatewayVpcAttachment):
            return orig_association(self)
        table = _associated_route_table(_tgw_backend(self), self.id)
        if table is None:
            return None
        return {"TransitGatewayRouteTableId": table.id, "State": "associated"}

    TransitGatewayAttachment.transit_gateway_owner_id = property(_tgw_owner_id)
    TransitGatewayAttachment.association = property(association)


def patch_create_transit_gateway_vpc_attachment() -> None:
    """AWS CreateTransitGatewayVpcAttachment: the TGW may be the caller's own
    or one shared with the caller through RAM (otherwise
    InvalidTransitGatewayID.NotFound); the VPC and subnets must be the
    caller's. A same-account attachment, or a shared one on a TGW with
    AutoAcceptSharedAttachments=enable, is ``available`` and gets the default
    route table association/propagation; a shared one otherwise waits in
    ``pendingAcceptance`` for the TGW owner. Both accounts see it. moto only
    knew same-account TGWs and always associated with the default table."""

    def create_transit_gateway_vpc_attachment(
        self: Any,
        transit_gateway_id: str,
        vpc_id: str,
        subnet_ids: list[str],
        tags: dict[str, str] | None = None,
        options: dict[str, str] | None = None,
    ) -> Any:
        tgw = self.transit_gateways.get(transit_gateway_id) or _find_shared_transit_gateway(
            transit_gateway_id, self.account_id, self.region_name
        )
        if tgw is None:
            raise InvalidTransitGatewayID(
                transit_gateway_id,
                f"Transit Gateway {transit_gateway_id} was deleted or does not exist.",
            )
        self.get_vpc(vpc_id)  # InvalidVpcID.NotFound
        for subnet_id in subnet_ids:
            self.get_subnet(subnet_id)  # InvalidSubnetID.NotFound
        owner = tgw.ec2_backend
        for other in owner.transit_gateway_attachments.values():
            if (
                other.resource_type == "vpc"
                and other.transit_gateway_id == tgw.id
                and other.resource_id == vpc_id
                and other.state not in _GONE_STATES
            ):
                raise DuplicateTransitGatewayAttachmentError(tgw.id)

        attachment = TransitGatewayVpcAttachment(
            self, transit_gateway=tgw, vpc_id=vpc_id, subnet_ids=subnet_ids,
            tags=tags, options=options,
        )
        attachment._tgw_owner_id = owner.account_id
        attachment.transit_gateway_route_table = None  # association lives in the tables
        self.transit_gateway_attachments[attachment.id] = attachment
        owner.transit_gateway_attachments[attachment.id] = attachment

        shared = owner is not self
        if shared and tgw.options.get("AutoAcceptSharedAttachments") != "enable":
            attachment.state = "pendingAcceptance"
        else:
            attachment.state = "available"
            _attach_to_default_route_tables(owner, tgw, attachment)
        return attachment

    EC2Backend.create_transit_gateway_vpc_attachment = create_transit_gateway_vpc_attachment


def patch_create_attachment_tag_specification() -> None:
    """AWS tags a new attachment from TagSpecifications of ResourceType
    ``transit-gateway-attachment``; moto read ``transit-gateway-route-table``."""

    def create_transit_gateway_vpc_attachment(self: Any) -> ActionResult:
        specs = self._parse_tag_specification()
        tags = {**specs.get("transit-gateway-route-table", {}),
                **specs.get("transit-gateway-attachment", {})}
        attachment = self.ec2_backend.create_transit_gateway_vpc_attachment(
            transit_gateway_id=self._get_param("TransitGatewayId"),
            vpc_id=self._get_param("VpcId"),
            subnet_ids=self._get_param("SubnetIds", []),
            tags=tags,
            options=self._get_param("Options", {}),
        )
        return ActionResult({"TransitGatewayVpcAttachment": attachment})

    EC2Response.create_transit_gateway_vpc_attachment = create_transit_gateway_vpc_attachment


def patch_describe_transit_gateway_attachments() -> None:
    """AWS DescribeTransitGatewayVpcAttachments lists VPC attachments only and
    filters on state, transit-gateway-attachment-id, transit-gateway-id,
    vpc-id, tag:*; DescribeTransitGatewayAttachments filters on state,
    transit-gateway-attachment-id, transit-gateway-id, transit-gateway-owner-id,
    resource-id, resource-owner-id, resource-type, association.state,
    association.transit-gateway-route-table-id, tag:*. moto listed peering/VPN
    attachments among VPC attachments and ignored most of those filters."""

    def _select(backend: Any, ids: list[str] | None, only_vpc: bool) -> list:
        items = list(backend.transit_gateway_attachments.values())
        if only_vpc:
            items = [a for a in items if a.resource_type == "vpc"]
        if ids:
            items = [a for a in items if a.id in ids]
        return items

    def describe_transit_gateway_vpc_attachments(
        self: Any, transit_gateways_attachment_ids: list[str] | None = None, filters: Any = None
    ) -> list:
        getters = {
            "state": lambda a: a.state,
            "transit-gateway-attachment-id": lambda a: a.id,
            "transit-gateway-id": lambda a: a.transit_gateway_id,
            "vpc-id": lambda a: a.resource_id,
        }
        items = _select(self, transit_gateways_attachment_ids, only_vpc=True)
        return _apply_filters(items, filters, getters)

    def describe_transit_gateway_attachments(
        self: Any, transit_gateways_attachment_ids: list[str] | None = None, filters: Any = None
    ) -> list:
        getters = {
            "state": lambda a: a.state,
            "transit-gateway-attachment-id": lambda a: a.id,
            "transit-gateway-id": lambda a: a.transit_gateway_id,
            "transit-gateway-owner-id": lambda a: a.transit_gateway_owner_id,
            "resource-id": lambda a: a.resource_id,
            "resource-owner-id": lambda a: a.resource_owner_id,
            "resource-type": lambda a: a.resource_type,
            "association.state": _assoc_field("State"),
            "association.transit-gateway-route-table-id": _assoc_field("TransitGatewayRouteTableId"),
        }
        items = _select(self, transit_gateways_attachment_ids, only_vpc=False)
        return _apply_filters(items, filters, getters)

    EC2Backend.describe_transit_gateway_vpc_attachments = describe_transit_gateway_vpc_attachments
    EC2Backend.describe_transit_gateway_attachments = describe_transit_gateway_attachments


def patch_describe_shared_transit_gateways() -> None:
    """AWS DescribeTransitGateways also lists TGWs shared with the caller
    through RAM (ownerId = the sharing account); moto listed own TGWs only."""
    orig = EC2Backend.describe_transit_gateways

    def describe_transit_gateways(self: Any, filters: Any, transit_gateway_ids: list[str] | None) -> list:
        own = orig(self, filters, transit_gateway_ids)
        from moto.ram.models import ram_backends

        shared = []
        for owner_id in list(dict.keys(ram_backends)):
            ram = _existing_backend(ram_backends, owner_id, self.region_name)
            if ram is None or owner_id == self.account_id:
                continue
            for share in ram.resource_shares:
                if share.status != "ACTIVE" or not any(
                    _principal_matches(p, self.account_id) for p in share.principals
                ):
                    continue
                for arn in share.resource_arns:
                    if ":transit-gateway/" not in arn:
                        continue
                    tgw = _find_shared_transit_gateway(
                        arn.rsplit("/", 1)[1], self.account_id, self.region_name
                    )
                    if tgw is not None and tgw not in shared:
                        shared.append(tgw)
        if transit_gateway_ids:
            shared = [t for t in shared if t.id in transit_gateway_ids]
        getters = {
            "transit-gateway-id": lambda t: t.id,
            "state": lambda t: t.state,
            "owner-id": lambda t: t.owner_id,
        }
        return own + _apply_filters(shared, filters, getters)

    EC2Backend.describe_transit_gateways = describe_transit_gateways


# --------------------------------------------------------------------------
# 3. Accept / Reject / Delete TransitGatewayVpcAttachment
# --------------------------------------------------------------------------
def patch_accept_reject_transit_gateway_vpc_attachment() -> None:
    """AWS AcceptTransitGatewayVpcAttachment / RejectTransitGatewayVpcAttachment:
    called by the TGW owner on an attachment in ``pendingAcceptance``, which
    becomes ``available`` (then associated/propagated per the TGW's default
    route table options) or ``rejected``; any other state -> IncorrectState;
    unknown id, or a caller that does not own the TGW ->
    InvalidTransitGatewayAttachmentID.NotFound. Response:
    ``<transitGatewayVpcAttachment>`` as in describe. moto: not implemented."""

    def accept_transit_gateway_vpc_attachment(self: Any, transit_gateway_attachment_id: str) -> Any:
        attachment = _owned_vpc_attachment(self, transit_gateway_attachment_id)
        if attachment.state != "pendingAcceptance":
            raise IncorrectState(attachment.id)
        attachment.state = "available"
        tgw = self.transit_gateways.get(attachment.transit_gateway_id)
        if tgw is not None:
            _attach_to_default_route_tables(self, tgw, attachment)
        return attachment

    def reject_transit_gateway_vpc_attachment(self: Any, transit_gateway_attachment_id: str) -> Any:
        attachment = _owned_vpc_attachment(self, transit_gateway_attachment_id)
        if attachment.state != "pendingAcceptance":
            raise IncorrectState(attachment.id)
        attachment.state = "rejected"
        return attachment

    def accept_response(self: Any) -> ActionResult:
        attachment = self.ec2_backend.accept_transit_gateway_vpc_attachment(
            self._get_param("TransitGatewayAttachmentId")
        )
        return ActionResult({"TransitGatewayVpcAttachment": attachment})

    def reject_response(self: Any) -> ActionResult:
        attachment = self.ec2_backend.reject_transit_gateway_vpc_attachment(
            self._get_param("TransitGatewayAttachmentId")
        )
        return ActionResult({"TransitGatewayVpcAttachment": attachment})

    EC2Backend.accept_transit_gateway_vpc_attachment = accept_transit_gateway_vpc_attachment
    EC2Backend.reject_transit_gateway_vpc_attachment = reject_transit_gateway_vpc_attachment
    EC2Response.accept_transit_gateway_vpc_attachment = accept_response
    EC2Response.reject_transit_gateway_vpc_attachment = reject_response


def patch_delete_transit_gateway_vpc_attachment() -> None:
    """AWS DeleteTransitGatewayVpcAttachment may be called by the VPC owner or
    the TGW owner; the attachment disappears for both accounts and leaves its
    route table association and propagations. moto removed it from the
    caller's backend only (KeyError -> HTTP 500 for an unknown id)."""

    def delete_transit_gateway_vpc_attachment(self: Any, transit_gateway_attachment_id: str) -> Any:
        attachment = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
        if attachment is None or attachment.resource_type != "vpc":
            raise AttachmentNotFound(transit_gateway_attachment_id)
        owner = _tgw_backend(attachment)
        for table in owner.transit_gateways_route_tables.values():
            table.route_table_associations.pop(attachment.id, None)
            table.route_table_propagation = [
                p for p in table.route_table_propagation
                if p.transitGatewayAttachmentId != attachment.id
            ]
        owner.transit_gateway_associations.pop(attachment.id, None)
        owner.transit_gateway_propagations.pop(attachment.id, None)
        vpc_owner = ec2_backends[attachment.resource_owner_id][self.region_name]
        for backend in {id(owner): owner, id(vpc_owner): vpc_owner}.values():
            backend.transit_gateway_attachments.pop(attachment.id, None)
        attachment.state = "deleted"
        return attachment

    EC2Backend.delete_transit_gateway_vpc_attachment = delete_transit_gateway_vpc_attachment


# --------------------------------------------------------------------------
# 4. TGW route tables: routes, search, associations
# --------------------------------------------------------------------------
def patch_create_transit_gateway_route() -> None:
    """AWS CreateTransitGatewayRoute: a second static route for the same
    destination CIDR in the same route table fails with RouteAlreadyExists
    (HTTP 400), whatever its target; unknown table ->
    InvalidRouteTableID.NotFound; unknown attachment ->
    InvalidTransitGatewayAttachmentID.NotFound. The route's
    ``transitGatewayAttachments`` is a list. moto overwrote duplicates
    silently, answered 500 for an unknown table and serialised the
    attachment as an empty list."""

    def create_transit_gateway_route(
        self: Any,
        transit_gateway_route_table_id: str,
        destination_cidr_block: str,
        transit_gateway_attachment_id: str | None = None,
        blackhole: bool = False,
    ) -> Any:
        table = self.transit_gateways_route_tables.get(transit_gateway_route_table_id)
        if table is None or table.state == "deleted":
            raise TgwRouteTableNotFound(transit_gateway_route_table_id)
        existing = table.routes.get(destination_cidr_block)
        if existing is not None and existing.get("type") == "static" and existing.get("state") != "deleted":
            raise RouteAlreadyExists(destination_cidr_block, transit_gateway_route_table_id)
        if transit_gateway_attachment_id and transit_gateway_attachment_id not in self.transit_gateway_attachments:
            raise AttachmentNotFound(transit_gateway_attachment_id)
        route = _ORIG["create_transit_gateway_route"](
            self, transit_gateway_route_table_id, destination_cidr_block,
            transit_gateway_attachment_id=transit_gateway_attachment_id, blackhole=blackhole,
        )
        target = route.get("transitGatewayAttachments")
        if isinstance(target, dict):
            route["transitGatewayAttachments"] = [target]
        return route

    EC2Backend.create_transit_gateway_route = create_transit_gateway_route


def patch_search_transit_gateway_routes() -> None:
    """AWS SearchTransitGatewayRoutes accepts MaxResults; moto sliced a dict
    with it (TypeError -> HTTP 500). The type / state /
    route-search.exact-match filters already work and are kept."""
    orig = EC2Backend.search_transit_gateway_routes

    def search_transit_gateway_routes(
        self: Any, transit_gateway_route_table_id: str, filters: Any, max_results: Any = None
    ) -> list:
        routes = orig(self, transit_gateway_route_table_id, filters, max_results=None)
        return routes[: int(max_results)] if max_results else routes

    EC2Backend.search_transit_gateway_routes = search_transit_gateway_routes


def patch_route_table_association() -> None:
    """AWS AssociateTransitGatewayRouteTable: the attachment must be
    ``available`` (else IncorrectState) and associated with no other table
    (else Resource.AlreadyAssociated); works for a cross-account attachment in
    the TGW owner's table. DisassociateTransitGatewayRouteTable removes an
    existing association, including the default one made at creation (moto
    raised KeyError -> HTTP 500 for it)."""
    _ORIG["associate_transit_gateway_route_table"] = EC2Backend.associate_transit_gateway_route_table

    def _checked(backend: Any, attachment_id: str, route_table_id: str) -> Any:
        table = backend.transit_gateways_route_tables.get(route_table_id)
        if table is None or table.state == "deleted":
            raise TgwRouteTableNotFound(route_table_id)
        attachment = backend.transit_gateway_attachments.get(attachment_id)
        if attachment is None:
            raise AttachmentNotFound(attachment_id)
        return table, attachment

    def associate_transit_gateway_route_table(
        self: Any, transit_gateway_attachment_id: str, transit_gateway_route_table_id: str
    ) -> Any:
        _, attachment = _checked(self, transit_gateway_attachment_id, transit_gateway_route_table_id)
        if attachment.state != "available":
            raise IncorrectState(attachment.id)
        if _associated_route_table(self, attachment.id) is not None:
            raise AlreadyAssociated(attachment.id)
        return _ORIG["associate_transit_gateway_route_table"](
            self, transit_gateway_attachment_id, transit_gateway_route_table_id
        )

    def disassociate_transit_gateway_route_table(self: Any, tgw_attach_id: str, tgw_rt_id: str) -> Any:
        table, attachment = _checked(self, tgw_attach_id, tgw_rt_id)
        if tgw_attach_id not in table.route_table_associations:
            raise AssociationNotFound(tgw_attach_id, tgw_rt_id)
        relation = TransitGatewayRelations(self, tgw_attach_id, tgw_rt_id, state="disassociated")
        table.route_table_associations.pop(tgw_attach_id)
        self.transit_gateway_associations.pop(tgw_attach_id, None)
        attachment._association_data = {}
        attachment.transit_gateway_route_table = None
        return relation

    EC2Backend.associate_transit_gateway_route_table = associate_transit_gateway_route_table
    EC2Backend.disassociate_transit_gateway_route_table = disassociate_transit_gateway_route_table


def install() -> None:
    _ORIG["create_transit_gateway_route"] = EC2Backend.create_transit_gateway_route
    patch_vpc_peering_cidr_block_set()
    patch_vpc_peering_tags_per_account()
    patch_attachment_owner_fields()
    patch_route_table_association()
    patch_create_transit_gateway_vpc_attachment()
    patch_create_attachment_tag_specification()
    patch_describe_transit_gateway_attachments()
    patch_describe_shared_transit_gateways()
    patch_accept_reject_transit_gateway_vpc_attachment()
    patch_delete_transit_gateway_vpc_attachment()
    patch_create_transit_gateway_route()
    patch_search_transit_gateway_routes()
