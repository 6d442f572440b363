"""EC2 extensions for VPC endpoint services (AWS PrivateLink), the customer side of Astro's
"Custom VPC Endpoint" flow: the customer owns an endpoint service backed by a Network Load
Balancer, allows Astro's principals, and accepts (or rejects) the interface endpoints Astro
creates to it from its own accounts.

Every ``patch_*`` function changes one behaviour of moto's own EC2 classes so that it follows
the Amazon EC2 API reference and the AWS PrivateLink guide; ``install()`` applies them all.

State model:
  * the endpoint (moto's VPCEndPoint) lives in the consumer's backend only, as moto already
    keeps it; connecting it to a service sets ``_service_id`` / ``_service_owner_id`` on it and
    registers the *same object* in the service's ``_connections`` (endpoint id -> endpoint), so
    the endpoint's ``state`` is the single source of truth both accounts read
    (DescribeVpcEndpoints for the consumer, DescribeVpcEndpointConnections for the owner);
  * allowed principals stay in moto's ``VPCServiceConfiguration.principals`` (a list, kept in
    the order added); ``_permission_ids`` gives each its ServicePermissionId.

What an endpoint service's principals allow (ModifyVpcEndpointServicePermissions /
DescribeVpcEndpointServicePermissions API reference; PrivateLink guide, "Manage permissions"):
``*`` allows everyone; ``arn:aws:iam::ACCOUNT:root`` every principal of that account;
``arn:aws:iam::ACCOUNT:role/NAME`` / ``:user/NAME`` that role or user only (a request signed
with credentials of an assumed role is that role). The service owner's own account needs no
permission. Whom the principals allow may see the service (DescribeVpcEndpointServices) and
create an interface endpoint to it; for anyone else the service does not exist.
"""
from __future__ import annotations

import contextvars
import re
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidServiceName, UnknownVpcEndpointService
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.vpc_service_configuration import VPCServiceConfiguration
from moto.ec2.responses import EC2Response
from moto.moto_api._internal import mock_random

from .ec2_ext import _apply_filters, _existing_backend

# The principal (account id, principal ARN or None) of the EC2 request being served; set by
# the response wrappers below, read by the backend methods that decide on permissions.
_CALLER: contextvars.ContextVar = contextvars.ContextVar("astro_endpoint_services_caller", default=None)

# Endpoint service names as AWS gives them: com.amazonaws.vpce.<region>.vpce-svc-<id>.
_SERVICE_NAME = re.compile(r"^com\.amazonaws\.vpce\.[a-z0-9-]+\.vpce-svc-[0-9a-f]+$")
_ACCOUNT_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")


# --------------------------------------------------------------------------
# Errors (UnsuccessfulItem errors of Accept/RejectVpcEndpointConnections)
# --------------------------------------------------------------------------
def _unsuccessful(resource_id: str, code: str, message: str) -> dict:
    return {"ResourceId": resource_id, "Error": {"Code": code, "Message": message}}


def _not_connected(endpoint_id: str) -> dict:
    # The code of an unknown endpoint id in the EC2 API error codes; the message is the one
    # moto's InvalidVpcEndPointIdError gives for it.
    return _unsuccessful(endpoint_id, "InvalidVpcEndpointId.NotFound",
                         f"The VpcEndPoint ID '{endpoint_id}' does not exist")


def _invalid_state(endpoint_id: str, state: str, action: str) -> dict:
    return _unsuccessful(endpoint_id, "InvalidState",
                         f"Endpoint {endpoint_id} is in state {state} and cannot be {action}.")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _caller(backend: Any) -> tuple:
    """(account id, principal ARN or None) of the request; outside an EC2 request (e.g.
    CloudFormation creating an AWS::EC2::VPCEndpoint) the backend's account, no ARN."""
    return _CALLER.get() or (backend.account_id, None)


def _principal_arn(response: Any) -> str | None:
    """The IAM role or user whose credentials signed the request, if moto issued them."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    # STS AssumeRole creates the key in the role's account, the account moto attributes the
    # request to (as astro_moto.recorder reads it); looked at, never created.
    key = getattr(response, "access_key", None) or response.get_access_key()
    partition = getattr(response, "partition", "aws")
    sts = dict.get(dict.get(sts_backends, response.current_account) or {}, partition)
    role = sts.get_assumed_role_from_access_key(key) if sts is not None else None
    if role is not None:
        return role.role_arn
    iam = dict.get(dict.get(iam_backends, response.current_account) or {}, partition)
    user = iam.get_user_from_access_key_id(key) if iam is not None else None
    return user.arn if user is not None else None


def _with_caller(method: Any) -> Any:
    """Wraps an EC2Response method so that the backend knows who is calling."""

    def wrapper(self: Any) -> Any:
        token = _CALLER.set((self.current_account, _principal_arn(self)))
        try:
            return method(self)
        finally:
            _CALLER.reset(token)

    wrapper.__name__ = method.__name__
    return wrapper


def principal_type(principal: str) -> str:
    """AllowedPrincipal.PrincipalType: All | Service | OrganizationUnit | Account | User | Role."""
    if principal == "*":
        return "All"
    if _ACCOUNT_ROOT.match(principal):
        return "Account"
    if re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/", principal):
        return "Role"
    if re.match(r"^arn:aws[a-z-]*:iam::\d{12}:user/", principal):
        return "User"
    if re.match(r"^arn:aws[a-z-]*:organizations::", principal):
        return "OrganizationUnit"
    return "Service"


def allows(service: Any, account_id: str, principal_arn: str | None) -> bool:
    """Whether the service's owner or allowed principals admit this caller."""
    if service.ec2_backend.account_id == account_id:
        return True
    for principal in service.principals:
        root = _ACCOUNT_ROOT.match(principal)
        if principal == "*" or (root and root.group(1) == account_id) or principal == principal_arn:
            return True
    return False


def find_service(service_name: str, region: str) -> Any:
    """The endpoint service of that name in any account of the region, else None."""
    for account_id in list(dict.keys(ec2_backends)):
        backend = _existing_backend(ec2_backends, account_id, region)
        if backend is None:
            continue
        for config in backend.configurations.values():
            if config.service_name == service_name:
                return config
    return None


def _connections(service: Any) -> dict:
    if not hasattr(service, "_connections"):
        service._connections = {}
    return service._connections


def _permission_id(service: Any, principal: str) -> str:
    ids = service.__dict__.setdefault("_permission_ids", {})
    if principal not in ids:
        ids[principal] = f"vpce-svc-perm-{mock_random.get_random_hex(length=17)}"
    return ids[principal]


def _owned_service(backend: Any, service_id: str) -> Any:
    """The caller's own service; anyone else's, or none, is
    InvalidVpcEndpointServiceId.NotFound (as moto already answers for describes)."""
    service = backend.configurations.get(service_id)
    if service is None:
        raise UnknownVpcEndpointService(service_id)
    return service


# --------------------------------------------------------------------------
# 1. CreateVpcEndpoint to an endpoint service
# --------------------------------------------------------------------------
def patch_create_vpc_endpoint() -> None:
    """AWS CreateVpcEndpoint with the ServiceName of an endpoint service: allowed to the
    service owner's account and to the principals the service allows; for anyone else the
    service does not exist: InvalidServiceName, "The Vpc Endpoint Service '<name>' does not
    exist" (the code the API's error list gives for a service name that is not valid, and the
    message AWS answers a consumer that is not allowed). The endpoint is created in the
    caller's account, ``pendingAcceptance`` when the service requires acceptance (until the
    owner accepts or rejects it), ``available`` otherwise, and the owner sees it in
    DescribeVpcEndpointConnections.

    moto let any account create an endpoint to any service, always ``available``, and the
    owner never saw it. A service name that names no service in the emulator is still accepted,
    as moto does, so that tests without a provider account keep working."""
    orig = EC2Backend.create_vpc_endpoint

    def create_vpc_endpoint(self: Any, vpc_id: str, service_name: str, *args: Any, **kwargs: Any) -> Any:
        service = find_service(service_name, self.region_name) if _SERVICE_NAME.match(service_name or "") else None
        if service is None:
            return orig(self, vpc_id, service_name, *args, **kwargs)
        account_id, principal_arn = _caller(self)
        if not allows(service, account_id, principal_arn):
            raise InvalidServiceName(service_name)
        endpoint = orig(self, vpc_id, service_name, *args, **kwargs)
        endpoint.state = "pendingAcceptance" if _truthy(service.acceptance_required) else "available"
        endpoint._service_id = service.id
        endpoint._service_owner_id = service.ec2_backend.account_id
        _connections(service)[endpoint.id] = endpoint
        return endpoint

    EC2Backend.create_vpc_endpoint = create_vpc_endpoint
    EC2Response.create_vpc_endpoint = _with_caller(EC2Response.create_vpc_endpoint)


# --------------------------------------------------------------------------
# 2. DescribeVpcEndpointConnections / Accept / Reject
# --------------------------------------------------------------------------
def _connection(service: Any, endpoint: Any) -> dict:
    """VpcEndpointConnection as the service owner sees it."""
    return {
        "ServiceId": service.id,
        "VpcEndpointId": endpoint.id,
        "VpcEndpointOwner": endpoint.ec2_backend.account_id,
        "VpcEndpointState": endpoint.state,
        "CreationTimestamp": endpoint.creation_timestamp,
        "DnsEntries": [{"DnsName": e["dns_name"], "HostedZoneId": e["hosted_zone_id"]}
                       for e in endpoint.dns_entries or []],
        "NetworkLoadBalancerArns": list(service.network_load_balancer_arns),
        "GatewayLoadBalancerArns": list(service.gateway_load_balancer_arns),
        "IpAddressType": "ipv4",
        "VpcEndpointRegion": endpoint.ec2_backend.region_name,
        "Tags": [],
    }


def patch_vpc_endpoint_connections() -> None:
    """AWS DescribeVpcEndpointConnections: the endpoints connected to the caller's endpoint
    services (pending acceptance among them), each with ServiceId, VpcEndpointId,
    VpcEndpointOwner, VpcEndpointState, CreationTimestamp, DnsEntries, NetworkLoadBalancerArns;
    filters service-id, vpc-endpoint-owner, vpc-endpoint-state, vpc-endpoint-id,
    ip-address-type, vpc-endpoint-region.

    AcceptVpcEndpointConnections (owner of ServiceId only): each endpoint in
    ``pendingAcceptance`` becomes ``available``. RejectVpcEndpointConnections: each endpoint in
    ``pendingAcceptance`` or ``available`` (the PrivateLink guide: "You can reject an endpoint
    connection after it's in the available state") becomes ``rejected``. Both sides see the new
    state. An id that is not an endpoint connected to that service is an Unsuccessful item
    InvalidVpcEndpointId.NotFound; an endpoint in another state is an Unsuccessful item
    InvalidState; a service the caller does not own is InvalidVpcEndpointServiceId.NotFound.
    Response: ``unsuccessful`` (UnsuccessfulItem: resourceId, error code/message).

    moto: none of the three was implemented (HTTP 500)."""

    def describe_vpc_endpoint_connections(self: Any, filters: Any = None) -> list:
        items = [_connection(service, endpoint)
                 for service in self.configurations.values()
                 for endpoint in _connections(service).values()]
        getters = {
            "service-id": lambda c: c["ServiceId"],
            "vpc-endpoint-owner": lambda c: c["VpcEndpointOwner"],
            "vpc-endpoint-state": lambda c: c["VpcEndpointState"],
            "vpc-endpoint-id": lambda c: c["VpcEndpointId"],
            "ip-address-type": lambda c: c["IpAddressType"],
            "vpc-endpoint-region": lambda c: c["VpcEndpointRegion"],
        }
        return _apply_filters(items, filters, getters)

    def _decide(backend: Any, service_id: str, endpoint_ids: list, accept: bool) -> list:
        service = _owned_service(backend, service_id)
        allowed_from = {"pendingAcceptance"} if accept else {"pendingAcceptance", "available"}
        unsuccessful = []
        for endpoint_id in endpoint_ids:
            endpoint = _connections(service).get(endpoint_id)
            if endpoint is None:
                unsuccessful.append(_not_connected(endpoint_id))
            elif endpoint.state not in allowed_from:
                unsuccessful.append(_invalid_state(endpoint_id, endpoint.state,
                                                   "accepted" if accept else "rejected"))
            else:
                endpoint.state = "available" if accept else "rejected"
        return unsuccessful

    def accept_vpc_endpoint_connections(self: Any, service_id: str, endpoint_ids: list) -> list:
        return _decide(self, service_id, endpoint_ids, accept=True)

    def reject_vpc_endpoint_connections(self: Any, service_id: str, endpoint_ids: list) -> list:
        return _decide(self, service_id, endpoint_ids, accept=False)

    def describe_response(self: Any) -> ActionResult:
        connections = self.ec2_backend.describe_vpc_endpoint_connections(self._filters_from_querystring())
        return ActionResult({"VpcEndpointConnections": connections})

    def accept_response(self: Any) -> ActionResult:
        unsuccessful = self.ec2_backend.accept_vpc_endpoint_connections(
            self._get_param("ServiceId"), self._get_param("VpcEndpointIds", []))
        return ActionResult({"Unsuccessful": unsuccessful})

    def reject_response(self: Any) -> ActionResult:
        unsuccessful = self.ec2_backend.reject_vpc_endpoint_connections(
            self._get_param("ServiceId"), self._get_param("VpcEndpointIds", []))
        return ActionResult({"Unsuccessful": unsuccessful})

    EC2Backend.describe_vpc_endpoint_connections = describe_vpc_endpoint_connections
    EC2Backend.accept_vpc_endpoint_connections = accept_vpc_endpoint_connections
    EC2Backend.reject_vpc_endpoint_connections = reject_vpc_endpoint_connections
    EC2Response.describe_vpc_endpoint_connections = describe_response
    EC2Response.accept_vpc_endpoint_connections = accept_response
    EC2Response.reject_vpc_endpoint_connections = reject_response


# --------------------------------------------------------------------------
# 3. Allowed principals
# --------------------------------------------------------------------------
def _allowed_principal(service: Any, principal: str) -> dict:
    return {
        "PrincipalType": principal_type(principal),
        "Principal": principal,
        "ServicePermissionId": _permission_id(service, principal),
        "ServiceId": service.id,
    }


def patch_service_permissions() -> None:
    """AWS ModifyVpcEndpointServicePermissions (owner of ServiceId only): AddAllowedPrincipals
    grants, RemoveAllowedPrincipals revokes; adding a principal already allowed or removing one
    that is not changes nothing. Response: ``addedPrincipalSet`` (AddedPrincipal: Principal,
    PrincipalType, ServicePermissionId, ServiceId, for each principal of AddAllowedPrincipals)
    and ``return`` true. DescribeVpcEndpointServicePermissions (owner only): AllowedPrincipals
    with Principal, PrincipalType (All | Service | OrganizationUnit | Account | User | Role),
    ServicePermissionId, ServiceId; filters principal, principal-type. Others:
    InvalidVpcEndpointServiceId.NotFound.

    moto kept the principals in a set (their order changed), answered no AddedPrincipals and no
    PrincipalType / ServicePermissionId / ServiceId."""

    def modify_vpc_endpoint_service_permissions(
        self: Any, service_id: str, add_principals: list, remove_principals: list
    ) -> list:
        service = _owned_service(self, service_id)
        added = []
        for principal in add_principals or []:
            if principal not in service.principals:
                service.principals.append(principal)
            added.append(_allowed_principal(service, principal))
        service.principals = [p for p in service.principals if p not in (remove_principals or [])]
        for principal in remove_principals or []:
            service.__dict__.get("_permission_ids", {}).pop(principal, None)
        return added

    def describe_vpc_endpoint_service_permissions(self: Any, service_id: str, filters: Any = None) -> list:
        service = _owned_service(self, service_id)
        items = [_allowed_principal(service, p) for p in service.principals]
        getters = {"principal": lambda p: p["Principal"], "principal-type": lambda p: p["PrincipalType"]}
        return _apply_filters(items, filters, getters)

    def modify_response(self: Any) -> ActionResult:
        added = self.ec2_backend.modify_vpc_endpoint_service_permissions(
            self._get_param("ServiceId"),
            self._get_param("AddAllowedPrincipals", []),
            self._get_param("RemoveAllowedPrincipals", []),
        )
        return ActionResult({"AddedPrincipals": added, "ReturnValue": True})

    def describe_response(self: Any) -> ActionResult:
        principals = self.ec2_backend.describe_vpc_endpoint_service_permissions(
            self._get_param("ServiceId"), self._filters_from_querystring())
        return ActionResult({"AllowedPrincipals": [{**p, "Tags": []} for p in principals]})

    EC2Backend.modify_vpc_endpoint_service_permissions = modify_vpc_endpoint_service_permissions
    EC2Backend.describe_vpc_endpoint_service_permissions = describe_vpc_endpoint_service_permissions
    EC2Response.modify_vpc_endpoint_service_permissions = modify_response
    EC2Response.describe_vpc_endpoint_service_permissions = describe_response


# --------------------------------------------------------------------------
# 4. DescribeVpcEndpointServices: the services the caller may connect to
# --------------------------------------------------------------------------
def patch_describe_vpc_endpoint_services() -> None:
    """AWS DescribeVpcEndpointServices "describes available services to which you can create a
    VPC endpoint": besides the caller's own endpoint services, those of other accounts whose
    allowed principals admit the caller (Owner = the service's account); the others stay
    unknown (ServiceNames naming one: InvalidServiceName). moto listed the caller's own
    services only, so an allowed consumer could not look up the service it may connect to."""
    orig = EC2Backend.describe_vpc_endpoint_services

    def describe_vpc_endpoint_services(self: Any, *args: Any, **kwargs: Any) -> Any:
        account_id, principal_arn = _caller(self)
        visible = dict(self.configurations)
        for owner_id in list(dict.keys(ec2_backends)):
            backend = _existing_backend(ec2_backends, owner_id, self.region_name)
            if backend is None or backend is self:
                continue
            for service in backend.configurations.values():
                if allows(service, account_id, principal_arn):
                    visible[service.id] = service
        own = self.configurations
        # moto's implementation reads self.configurations: show it what the caller may see.
        self.configurations = visible
        try:
            return orig(self, *args, **kwargs)
        finally:
            self.configurations = own

    EC2Backend.describe_vpc_endpoint_services = describe_vpc_endpoint_services
    EC2Response.describe_vpc_endpoint_services = _with_caller(EC2Response.describe_vpc_endpoint_services)


def patch_acceptance_required() -> None:
    """AWS CreateVpcEndpointServiceConfiguration AcceptanceRequired is a Boolean; keep it as
    one whatever form the request parser hands over (moto stored the raw value)."""
    orig = VPCServiceConfiguration.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        self.acceptance_required = _truthy(self.acceptance_required)

    VPCServiceConfiguration.__init__ = __init__


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    patch_acceptance_required()
    patch_create_vpc_endpoint()
    patch_vpc_endpoint_connections()
    patch_service_permissions()
    patch_describe_vpc_endpoint_services()
    _installed = True
