"""The customer's account with this project's stack in it, every feature on: what the
deploy tests and the Rust integration tests (through the command line below) start from.

The customer account (222222222222) first gets the real things the parameters name (VPCs,
subnets, a Transit Gateway and route table, private hosted zones, Resolver rules, an SNS topic,
the code zips, an endpoint service of its own), and Astro (111111111111) a VPC endpoint
service that allows the customer's account; the template goes to S3 (it is larger than CreateStack takes inline) and CreateStack
passes every parameter of the template.

    python tests/deploy/customer_stack.py --endpoint http://127.0.0.1:PORT [--set KEY=VALUE ...]

creates all of it in the emulator at that endpoint and prints {"stackName", "stackId",
"parameters"} as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for path in (os.path.join(REPO, "tests", "emulator"), REPO):
    if path not in sys.path:
        sys.path.insert(0, path)

from tools import templates  # noqa: E402

CUSTOMER = "222222222222"
ASTRO = "111111111111"
ASTRO_OTHER = "555555555555"
HYBRID = ("333333333333", "444444444444")
REGION = "us-east-1"
STACK = "astro-handshake"
CODE_BUCKET = "astro-handshake-code-222222222222"
CODE_PREFIX = "release-1/"
TEMPLATE_KEY = "astro-handshake/template.json"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]

# --------------------------------------------------------------------------------------------
# The customer's world
# --------------------------------------------------------------------------------------------
def code_zips(tmp_path) -> dict:
    """binary -> zip of a small stand-in `bootstrap` (tools/templates.py zip_bootstrap)."""
    zips = {}
    for binary in templates.binaries().values():
        path = tmp_path / f"{binary}.bootstrap"
        path.write_bytes(b"\x7fELF stand-in for the " + binary.encode() + b" function")
        zips[binary] = templates.zip_bootstrap(path)
    return zips


def build_world(account_client, tmp_path, overrides: dict | None = None) -> dict:
    """Creates what the parameters name and uploads the code and the template; returns
    {"params": every parameter of the template, "zips": binary -> zip, "ids": ...}."""
    ec2 = account_client("ec2", CUSTOMER)
    vpcs = {
        name: ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        for name, cidr in [("accepter1", "10.1.0.0/16"), ("accepter2", "10.2.0.0/16"),
                           ("spoke1", "10.3.0.0/16"), ("spoke2", "10.4.0.0/16"),
                           ("remote", "10.20.0.0/16"), ("assoc1", "10.5.0.0/16"), ("assoc2", "10.6.0.0/16")]
    }
    subnets = [
        ec2.create_subnet(VpcId=vpcs["remote"], CidrBlock=f"10.20.{i}.0/24",
                          AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    tgw = ec2.create_transit_gateway(Description="customer TGW")["TransitGateway"]["TransitGatewayId"]
    tgw_rt = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)[
        "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    r53 = account_client("route53", CUSTOMER)
    zones = [
        r53.create_hosted_zone(
            Name=f"corp{i}.example.internal", CallerReference=f"corp{i}",
            VPC={"VPCRegion": REGION, "VPCId": vpcs["accepter1"]}, HostedZoneConfig={"PrivateZone": True},
        )["HostedZone"]["Id"].split("/")[-1]
        for i in (1, 2)
    ]
    resolver = account_client("route53resolver", CUSTOMER)
    rules = [
        resolver.create_resolver_rule(CreatorRequestId=f"rule{i}", Name=f"rule{i}", RuleType="SYSTEM",
                                      DomainName=f"onprem{i}.example.internal")["ResolverRule"]["Id"]
        for i in (1, 2)
    ]
    topic = account_client("sns", CUSTOMER).create_topic(Name="astro-handshake-alarms")["TopicArn"]

    astro_ec2 = account_client("ec2", ASTRO)
    astro_vpc = astro_ec2.create_vpc(CidrBlock="10.100.0.0/16")["Vpc"]["VpcId"]
    astro_subnet = astro_ec2.create_subnet(VpcId=astro_vpc, CidrBlock="10.100.1.0/24")["Subnet"]["SubnetId"]
    nlb = account_client("elbv2", ASTRO).create_load_balancer(
        Name="remote-execution", Subnets=[astro_subnet], Type="network")["LoadBalancers"][0]["LoadBalancerArn"]
    config = astro_ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[nlb], AcceptanceRequired=False)["ServiceConfiguration"]
    # Only allowed principals can create an endpoint to it: here, the whole customer account.
    astro_ec2.modify_vpc_endpoint_service_permissions(
        ServiceId=config["ServiceId"], AddAllowedPrincipals=[f"arn:aws:iam::{CUSTOMER}:root"])
    service = config["ServiceName"]

    # The customer's own endpoint service, which Astro connects to (Custom VPC Endpoint).
    own_nlb = account_client("elbv2", CUSTOMER).create_load_balancer(
        Name="customer-service", Subnets=[subnets[0]], Type="network",
        Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
    own_service = ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[own_nlb], AcceptanceRequired=True)["ServiceConfiguration"]["ServiceId"]

    zips = code_zips(tmp_path)
    s3 = account_client("s3", CUSTOMER)
    s3.create_bucket(Bucket=CODE_BUCKET)
    for binary, zipped in zips.items():
        s3.put_object(Bucket=CODE_BUCKET, Key=f"{CODE_PREFIX}{binary}.zip", Body=zipped)
    template = templates.deployable(CODE_BUCKET, CODE_PREFIX)
    # Larger than the 51,200 bytes CreateStack takes inline: through S3, as `sam deploy` does.
    s3.put_object(Bucket=CODE_BUCKET, Key=TEMPLATE_KEY, Body=json.dumps(template).encode())

    params = {
        "AstroAccountIds": f"{ASTRO},{ASTRO_OTHER}",
        "AstroCidrs": "10.100.0.0/16,10.101.0.0/16",
        "AccepterVpcIds": f"{vpcs['accepter1']},{vpcs['accepter2']}",
        "RouteTableSelector": "main",
        "EnableAccepterDnsResolution": "true",
        "UnknownRequests": "reject",
        "TransitGatewayId": tgw,
        "TransitGatewayRouteTableId": tgw_rt,
        "TgwSpokeVpcIds": f"{vpcs['spoke1']},{vpcs['spoke2']}",
        "ResolverRuleIds": ",".join(rules),
        "AllowExternalPrincipals": "true",
        "AstroVpcIds": astro_vpc,
        "PrivateHostedZoneIds": ",".join(zones),
        "ZoneVpcAssociations": f"{zones[0]}:{vpcs['assoc1']},{vpcs['assoc2']}",
        "CreatePeerRole": "true",
        "PeerOwnerIds": ",".join(HYBRID),
        "PeerRoleExternalId": "astro-org-external-id",
        "PeerRoleExpiresAt": "2030-01-31T00:00:00Z",
        "AstroEndpointServiceName": service,
        "RemoteExecutionVpcId": vpcs["remote"],
        "RemoteExecutionSubnetIds": ",".join(subnets),
        "RemoteExecutionVpcCidr": "10.20.0.0/16",
        "DryRun": "false",
        "SweepSchedule": "rate(10 minutes)",
        "ReservedConcurrency": "2",
        "LogRetentionDays": "30",
        "AlarmTopicArn": topic,
        "AstroVpcCidrs": f"{astro_vpc}:10.100.0.0/16",
        "AstroExternalIps": "203.0.113.7,198.51.100.0/28",
        "EndpointServiceIds": own_service,
    }
    params.update(overrides or {})
    return {"params": params, "zips": zips, "template": template, "topic": topic, "vpcs": vpcs,
            "subnets": subnets, "service": service}


def create_stack(account_client, world: dict) -> str:
    cfn_client = account_client("cloudformation", CUSTOMER)
    return cfn_client.create_stack(
        StackName=STACK,
        TemplateURL=f"https://{CODE_BUCKET}.s3.amazonaws.com/{TEMPLATE_KEY}",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in world["params"].items()],
        Capabilities=CAPABILITIES,
    )["StackId"]




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="the emulator, http://127.0.0.1:PORT")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter value instead of the default one here")
    args = parser.parse_args()
    from emulator_fixtures import client

    overrides = dict(item.split("=", 1) for item in args.set)

    def account_client(service, account_id, region=REGION):
        return client(args.endpoint, service, account_id, region=region)

    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(account_client, Path(tmp), overrides)
        stack_id = create_stack(account_client, world)
    print(json.dumps({"stackName": STACK, "stackId": stack_id, "parameters": world["params"]}))


if __name__ == "__main__":
    main()
