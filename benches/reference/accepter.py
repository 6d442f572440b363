"""A VPC peering accepter as a customer would write one in Python, for `make bench` to compare
with: the boto3 client made at import, then per event: describe the peering, check the
requester's account and CIDRs with `ipaddress`, accept, add a route to each requester CIDR in
every route table of the accepter VPC, and turn accepter DNS resolution on.

Run through the Lambda Runtime Interface Client: `python -m awslambdaric accepter.handler`.
Environment: ASTRO_ACCOUNT_IDS, ASTRO_CIDRS, ACCEPTER_VPC_IDS (comma-separated).
"""
import ipaddress
import os

import boto3
from botocore.exceptions import ClientError

ec2 = boto3.client("ec2")

ASTRO_ACCOUNTS = set(os.environ["ASTRO_ACCOUNT_IDS"].split(","))
ASTRO_CIDRS = [ipaddress.ip_network(c) for c in os.environ["ASTRO_CIDRS"].split(",")]
ACCEPTER_VPCS = set(os.environ["ACCEPTER_VPC_IDS"].split(","))


def allowed(peering):
    requester = peering["RequesterVpcInfo"]
    if requester["OwnerId"] not in ASTRO_ACCOUNTS:
        return False, []
    if peering["AccepterVpcInfo"]["VpcId"] not in ACCEPTER_VPCS:
        return False, []
    cidrs = {requester["CidrBlock"]}
    cidrs.update(b["CidrBlock"] for b in requester.get("CidrBlockSet", []))
    nets = [ipaddress.ip_network(c) for c in sorted(cidrs)]
    if not all(any(n.subnet_of(a) for a in ASTRO_CIDRS) for n in nets):
        return False, []
    return True, nets


def handler(event, context):
    pcx = event["vpcPeeringConnectionId"]
    peering = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])[
        "VpcPeeringConnections"][0]
    ok, nets = allowed(peering)
    if not ok:
        return {"peering": pcx, "accepted": False}
    if peering["Status"]["Code"] == "pending-acceptance":
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    vpc = peering["AccepterVpcInfo"]["VpcId"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    for table in tables:
        for net in nets:
            try:
                ec2.create_route(RouteTableId=table["RouteTableId"],
                                 DestinationCidrBlock=str(net), VpcPeeringConnectionId=pcx)
            except ClientError as e:
                if e.response["Error"]["Code"] != "RouteAlreadyExists":
                    raise
    ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx,
        AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    return {"peering": pcx, "accepted": True, "routes": len(tables) * len(nets)}
