"""CloudFormation extensions: what moto 5.2.1 lacks to deploy template.yaml (transformed) the way
CloudFormation does.

Every ``patch_*`` function changes one behaviour of moto's own CloudFormation code (or of the
CloudFormation model of another service) so that it follows the AWS CloudFormation User Guide and
API Reference; ``install()`` applies them all.

Requests:
  * patch_template_body_size     TemplateBody longer than 51,200 bytes -> ValidationError
  * patch_parameter_constraints  AllowedPattern / AllowedValues / unknown parameter keys
  * patch_use_previous_value     UsePreviousValue on a parameter left at its default (was 500)
  * patch_list_parameters        a list parameter left at its default is a list; DescribeStacks
                                 shows list values comma-separated and NoEcho values as ****
Stacks:
  * patch_novalue_in_lists       Ref AWS::NoValue inside a list drops the element (was None)
  * patch_stack_resources        List/DescribeStackResource(s): what the stack holds, nothing else
  * patch_update_conditions      UpdateStack deletes/creates resources whose Condition flips
Resource types:
  * patch_vpc_endpoint           AWS::EC2::VPCEndpoint: Fn::GetAtt (DnsEntries, ...), delete
  * patch_new_models             AWS::CloudWatch::Alarm, AWS::Lambda::EventInvokeConfig,
                                 AWS::RAM::ResourceShare, AWS::SQS::QueuePolicy;
                                 AWS::Lambda::Permission gets its id and a delete
  * patch_hosted_zone            AWS::Route53::HostedZone: VPCs (private zone), comment, delete
  * patch_security_group_egress  AWS::EC2::SecurityGroup: SecurityGroupEgress, rule descriptions
  * patch_lambda_function        AWS::Lambda::Function: Architectures, Tags, LoggingConfig,
                                 DeadLetterConfig
  * patch_iam_role               AWS::IAM::Role: inline policies readable, updates applied

moto mechanics these patches rely on (cloudformation/parsing.py): ``get_model_map()`` maps a type
to the *direct* subclasses of CloudFormationModel (lru_cached); a type without a model is skipped
with a warning and the resource silently never exists. ``ResourceMap`` is a lazy mapping: reading
``resource_map[logical_id]`` creates a resource not created yet.
"""
from __future__ import annotations

import json
import re
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import MAX_UPDATE_ATTEMPTS, ResourceMap, parse_and_update_resource
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.common_models import CloudFormationModel

# CreateStack / UpdateStack / CreateChangeSet / ValidateTemplate / CreateStackSet /
# UpdateStackSet API reference: "TemplateBody ... a maximum length of 51,200 bytes".
TEMPLATE_BODY_MAX_BYTES = 51_200

# CloudFormationModel.__subclasses__() holds weak references: the models below live here.
_MODELS: list = []


def _references(node: Any) -> set:
    """Names a template fragment depends on: Ref targets, ${Name} in Fn::Sub, and the
    conditions named by Fn::If."""
    found: set = set()
    if isinstance(node, list):
        for item in node:
            found |= _references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {n.split(".")[0] for n in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                if not isinstance(value, str):
                    found |= _references(value[1])
            elif key == "Fn::If":
                found.add(value[0])
                found |= _references(value[1:])
            else:
                found |= _references(value)
    return found


# --------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------
def patch_template_body_size() -> None:
    """AWS: a template passed in the request (TemplateBody) is at most 51,200 bytes; a larger
    one must be uploaded to S3 and passed as TemplateURL (up to 1 MB). The error is
    "1 validation error detected: Value '...' at 'templateBody' failed to satisfy constraint:
    Member must have length less than or equal to 51200". moto accepted any size, so a template
    that CloudFormation refuses deployed in the emulator."""

    def checked(action: str):
        orig = getattr(CloudFormationResponse, action)

        def wrapper(self: CloudFormationResponse) -> Any:
            body = self._get_param("TemplateBody")
            if body and len(body.encode("utf-8")) > TEMPLATE_BODY_MAX_BYTES:
                raise ValidationError(
                    message="1 validation error detected: Value at 'templateBody' failed to "
                    "satisfy constraint: Member must have length less than or equal to "
                    f"{TEMPLATE_BODY_MAX_BYTES}"
                )
            return orig(self)

        return wrapper

    for action in ("create_stack", "update_stack", "create_change_set", "validate_template",
                   "create_stack_set", "update_stack_set"):
        setattr(CloudFormationResponse, action, checked(action))


def _check_parameters(template: dict, values: dict) -> None:
    declared = template.get("Parameters") or {}
    unknown = [k for k in values if k not in declared]
    if unknown:
        raise ValidationError(message=f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    for key, value in values.items():
        slot = declared[key]
        if slot.get("Type", "String") not in ("String", "Number"):
            continue
        text = str(value)
        allowed = slot.get("AllowedValues")
        pattern = slot.get("AllowedPattern")
        if allowed is not None and text not in [str(v) for v in allowed]:
            problem = "must be one of AllowedValues"
        elif pattern is not None and not re.fullmatch(pattern, text):
            problem = f"must match pattern {pattern}"
        else:
            continue
        if slot.get("ConstraintDescription"):
            raise ValidationError(
                message=f"Parameter '{key}' failed to satisfy constraint: {slot['ConstraintDescription']}")
        raise ValidationError(message=f"Parameter '{key}' {problem}")


def patch_parameter_constraints() -> None:
    """AWS (template Parameters section): a value must be one of AllowedValues ("Parameter 'X'
    must be one of AllowedValues") and match AllowedPattern, the whole value ("Parameter 'X'
    must match pattern P"; "Parameter 'X' failed to satisfy constraint: <ConstraintDescription>"
    when the parameter has one); a key the template does not declare fails with
    "Parameters: [X] do not exist in the template". This applies wherever values are passed:
    CreateStack, UpdateStack, change sets and StackSet instances. moto checked none of it.
    (Template Rules are not evaluated.)"""
    orig = ResourceMap.load_parameters

    def load_parameters(self: ResourceMap) -> None:
        if self._template and self._template.get("Resources"):
            _check_parameters(self._template, self.input_parameters or {})
        orig(self)

    ResourceMap.load_parameters = load_parameters


def patch_use_previous_value() -> None:
    """AWS UpdateStack: ``UsePreviousValue: true`` keeps the value the stack has, which for a
    parameter left out at create time is its default; a key the previous template does not
    declare is a ValidationError. moto read the parameters *passed* at create, so a parameter
    left at its default raised KeyError (HTTP 500)."""

    def _previous(instance: Any, key: str) -> str:
        if key in instance.parameters:
            return instance.parameters[key]
        if isinstance(instance, Stack):
            declared = instance.template_dict.get("Parameters", {})
            if key in declared and "Default" in declared[key]:
                return str(declared[key]["Default"])
        raise ValidationError(
            message=f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as "
            "true for a parameter key not in the previous template"
        )

    def _resolve_update_parameters(self: Any, instance: Any, incoming_params: list) -> dict:
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in incoming_params if "ParameterValue" in p}
        for p in incoming_params:
            if p.get("UsePreviousValue", False):
                parameters[p["ParameterKey"]] = _previous(instance, p["ParameterKey"])
        return parameters

    CloudFormationBackend._resolve_update_parameters = _resolve_update_parameters


def _is_list_type(value_type: str) -> bool:
    return value_type == "CommaDelimitedList" or (value_type.startswith("List<") and "SSM" not in value_type)


def patch_list_parameters() -> None:
    """AWS (template Parameters section): a CommaDelimitedList or List<...> parameter's value is
    a list of strings (numbers for List<Number>), whether passed or its Default, and Ref gives
    that list; DescribeStacks shows each ParameterValue as passed, a list as its comma-separated
    string, and "****" for a NoEcho parameter. moto split passed values only (a Default stayed
    one string, so Ref gave a string and the same value compared unequal to the passed list),
    showed a list as its Python repr (['a', 'b']) and compared NoEcho keys with values (so it
    masked nothing)."""
    orig_load = ResourceMap.load_parameters

    def load_parameters(self: ResourceMap) -> None:
        orig_load(self)
        declared = self._template.get("Parameters", {}) if self._template else {}
        for key, slot in declared.items():
            value = self.resolved_parameters.get(key)
            if _is_list_type(slot.get("Type", "String")) and isinstance(value, str):
                items = value.split(",")
                if slot["Type"] == "List<Number>":
                    items = [float(i) if "." in i else int(i) for i in items]
                self.resolved_parameters[key] = items
                self._parsed_resources[key] = items

    def parameter_list(self: Stack) -> list:
        masked = set(self.resource_map.no_echo_parameter_keys)
        masked |= {k for k, v in (self.template_dict.get("Parameters") or {}).items() if v.get("NoEcho")}
        out = []
        for key, value in self.resource_map.resolved_parameters.items():
            if key in masked:
                value = "****"
            elif isinstance(value, list):
                value = ",".join(str(v) for v in value)
            out.append({"ParameterKey": key, "ParameterValue": value})
        return out

    ResourceMap.load_parameters = load_parameters
    Stack.parameter_list = property(parameter_list)


# --------------------------------------------------------------------------
# Stacks
# --------------------------------------------------------------------------
def patch_novalue_in_lists() -> None:
    """AWS (pseudo parameter AWS::NoValue): used as a list element, typically the false branch
    of Fn::If, it removes that element. moto's parsing.clean_json kept it as None, so e.g.
    ResourceArns: [arn, None] reached the backend."""
    orig = parsing.clean_json

    def _is_no_value(node: Any, resources_map: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            if node.get("Ref") == "AWS::NoValue":
                return True
            if "Fn::If" in node:
                cond, yes, no = node["Fn::If"]
                return _is_no_value(yes if resources_map.lazy_condition_map[cond] else no, resources_map)
        return False

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, list):
            return [clean_json(v, resources_map) for v in resource_json if not _is_no_value(v, resources_map)]
        return orig(resource_json, resources_map)  # recurses through parsing.clean_json (this one)

    parsing.clean_json = clean_json


def patch_stack_resources() -> None:
    """AWS: a stack's resources are made by CreateStack / UpdateStack (and change sets) only.
    ListStackResources / DescribeStackResources list the resources the stack holds;
    DescribeStackResource of anything else is a ValidationError ("Resource X does not exist for
    stack Y"); a deleted stack has no outputs.

    moto's resource map is lazy: any read of a resource not created yet created it. So
    ListStackResources created a resource whose condition had turned true, DescribeStacks of a
    deleted stack re-created the resources its Outputs reference, and a resource never created
    (condition false) gave an entry with empty LogicalResourceId/ResourceType/PhysicalResourceId,
    or HTTP 500 in DescribeStackResource. Now only create/update create."""
    orig_getitem = ResourceMap.__getitem__
    orig_create = ResourceMap.create
    orig_outputs = Stack.outputs.fget

    def __getitem__(self: ResourceMap, key: str) -> Any:
        if key in self._resource_json_map and key not in self._parsed_resources \
                and not getattr(self, "_building", False):
            return None  # not part of the stack: reading it must not create it
        return orig_getitem(self, key)

    def create(self: ResourceMap, template: dict) -> bool:
        self._building = True
        try:
            return orig_create(self, template)
        finally:
            self._building = False

    def stack_resources(self: Stack) -> list:
        rmap = self.resource_map
        parsed = rmap._parsed_resources
        return [parsed[lid] for lid in rmap.resources if parsed.get(lid) is not None]

    def outputs(self: Stack) -> Any:
        if self.status == "DELETE_COMPLETE":
            return None
        return orig_outputs(self)

    ResourceMap.__getitem__ = __getitem__
    ResourceMap.create = create
    Stack.stack_resources = property(stack_resources)
    Stack.outputs = property(outputs)


def patch_update_conditions() -> None:
    """AWS UpdateStack: afterwards the stack holds exactly the resources of the new template
    whose Condition is true under the new parameters: a resource whose condition turned false
    is deleted (left in place, but out of the stack, with DeletionPolicy Retain), one whose
    condition turned true is created, resources that did not change keep their physical ids.
    CloudFormation creates and updates first, then deletes in the cleanup phase
    (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS).

    moto (ResourceMap.update / build_resource_diff) diffed only the template JSON and the
    parameters a resource references directly, compared with the values *passed* at create (so
    a parameter left at its default always looked changed); it never looked at Conditions, so a
    flipped resource stayed (false) or was not created (true), and it deleted before loading the
    new parameters. ExecuteChangeSet goes through the same method."""

    def update(self: ResourceMap, template: dict, parameters: dict | None = None) -> None:
        old_json = self._resource_json_map
        old_values = dict(self.resolved_parameters)
        old_conditions = {c: bool(self.lazy_condition_map[c]) for c in self._template.get("Conditions", {})}

        # The new parameters and conditions decide what the stack must hold.
        self._template = template
        if parameters:
            self.input_parameters = parameters
        self.load_mapping()
        self.load_parameters()
        self.load_conditions()
        new_json = template["Resources"]
        self._resource_json_map = new_json

        changed = {p for p, v in self.resolved_parameters.items() if old_values.get(p) != v}
        changed |= {c for c in template.get("Conditions", {})
                    if old_conditions.get(c) != bool(self.lazy_condition_map[c])}

        def wanted(lid: str) -> bool:
            cond = new_json[lid].get("Condition")
            return not cond or bool(self.lazy_condition_map[cond])

        existing = {lid for lid in old_json if self._parsed_resources.get(lid) is not None}
        remove = [lid for lid in old_json if lid in existing and (lid not in new_json or not wanted(lid))]
        add = [lid for lid in new_json if wanted(lid) and lid not in existing]
        modify = [lid for lid in new_json if lid in existing and lid not in remove and (
            new_json[lid] != old_json[lid] or _references(new_json[lid]) & changed)]

        self._building = True  # see patch_stack_resources
        try:
            for lid in add:
                self[lid]  # the lazy map creates it (and what it references)
        finally:
            self._building = False

        last_exception: Exception | None = None
        tries = 1
        while modify and tries < MAX_UPDATE_ATTEMPTS:
            for lid in modify.copy():
                try:
                    updated = parse_and_update_resource(
                        lid, new_json[lid], self, account_id=self._account_id, region_name=self._region_name
                    )
                except Exception as e:  # a dependency not updated yet: retry in a later pass
                    last_exception = e
                else:
                    if updated is not None:
                        self._parsed_resources[lid] = updated
                    modify.remove(lid)
            tries += 1
        if modify and last_exception is not None:
            raise last_exception

        # Cleanup phase.
        tries = 1
        while remove and tries < MAX_UPDATE_ATTEMPTS:
            for lid in remove.copy():
                try:
                    if old_json[lid].get("DeletionPolicy") != "Retain":
                        self._delete_resource(self._parsed_resources[lid], old_json[lid])
                except Exception as e:
                    last_exception = e
                else:
                    self._parsed_resources.pop(lid, None)
                    remove.remove(lid)
            tries += 1
        if remove and last_exception is not None:
            raise last_exception

    ResourceMap.update = update


# --------------------------------------------------------------------------
# Resource types
# --------------------------------------------------------------------------
def patch_vpc_endpoint() -> None:
    """AWS::EC2::VPCEndpoint return values: Id, CreationTimestamp, DnsEntries (a list of
    "HOSTED_ZONE_ID:DNS_NAME"), NetworkInterfaceIds; deleting the stack deletes the endpoint.
    moto's VPCEndPoint had no get_cfn_attribute (any Fn::GetAtt on it: AttributeError, HTTP 500
    on CreateStack) and no delete (the endpoint stayed "available")."""
    from moto.ec2.models.vpcs import VPCEndPoint

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "Id":
            return self.id
        if attribute_name == "CreationTimestamp":
            return self.creation_timestamp.isoformat()
        if attribute_name == "DnsEntries":
            return [f"{e['hosted_zone_id']}:{e['dns_name']}" for e in (self.dns_entries or [])]
        if attribute_name == "NetworkInterfaceIds":
            return list(self.network_interface_ids or [])
        raise UnformattedGetAttTemplateException()

    def delete(self: Any, account_id: str, region_name: str) -> None:
        self.ec2_backend.delete_vpc_endpoints([self.id])

    VPCEndPoint.get_cfn_attribute = get_cfn_attribute
    VPCEndPoint.has_cfn_attr = classmethod(
        lambda cls, attr: attr in {"Id", "CreationTimestamp", "DnsEntries", "NetworkInterfaceIds"}
    )
    VPCEndPoint.delete = delete


def patch_new_models() -> None:
    """Resource types template.yaml uses that moto's CloudFormation did not create at all
    (listed with an empty type and id, Ref -> None, so e.g. the share ARNs were missing from the
    function environment): AWS::CloudWatch::Alarm, AWS::Lambda::EventInvokeConfig,
    AWS::RAM::ResourceShare, AWS::SQS::QueuePolicy. Each one is created, updated and deleted
    through the service's own moto backend. AWS::Lambda::Permission existed but had no physical
    id (Ref -> None) and no delete (the statement stayed in the function policy).

    moto's model map lists the *direct* subclasses of CloudFormationModel (cached: cleared
    below). moto's ResourceMap.delete deletes in no dependency order: a delete must accept that
    its parent (the function of a Permission or EventInvokeConfig) is already gone."""
    from moto.awslambda.models import Permission, lambda_backends
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.ram.models import ram_backends
    from moto.sqs.models import sqs_backends

    class CfnAlarm(CloudFormationModel):
        """AWS::CloudWatch::Alarm: PutMetricAlarm. Ref = alarm name (AlarmName, else
        <stack>-<LogicalId>-<RANDOM>), Fn::GetAtt Arn. A new AlarmName replaces the alarm."""

        def __init__(self, alarm: Any):
            self.alarm = alarm

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::Alarm"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @property
        def physical_resource_id(self) -> str:
            return self.alarm.name

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            if attribute_name == "Arn":
                return self.alarm.alarm_arn
            raise UnformattedGetAttTemplateException()

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def,override]
            p = cloudformation_json["Properties"]
            alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
                name=resource_name,
                namespace=p.get("Namespace"),
                metric_name=p.get("MetricName"),
                comparison_operator=p["ComparisonOperator"],
                evaluation_periods=int(p["EvaluationPeriods"]),
                period=int(p["Period"]) if "Period" in p else None,
                threshold=float(p["Threshold"]) if "Threshold" in p else None,
                statistic=p.get("Statistic"),
                extended_statistic=p.get("ExtendedStatistic"),
                description=p.get("AlarmDescription"),
                dimensions=p.get("Dimensions", []),
                alarm_actions=p.get("AlarmActions", []),
                ok_actions=p.get("OKActions", []),
                insufficient_data_actions=p.get("InsufficientDataActions", []),
                datapoints_to_alarm=p.get("DatapointsToAlarm"),
                unit=p.get("Unit"),
                actions_enabled=str(p.get("ActionsEnabled", "true")).lower() == "true",
                treat_missing_data=p.get("TreatMissingData"),
                evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
                threshold_metric_id=p.get("ThresholdMetricId"),
                tags=[{"Key": t["Key"], "Value": t["Value"]} for t in p.get("Tags", [])],
            )
            return cls(alarm)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def,override]
            if "AlarmName" in cloudformation_json["Properties"] and new_resource_name != original_resource.physical_resource_id:
                original_resource.delete(account_id, region_name)
            else:  # PutMetricAlarm on the same name updates the alarm in place
                new_resource_name = original_resource.physical_resource_id
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.alarm.name])

    class CfnEventInvokeConfig(CloudFormationModel):
        """AWS::Lambda::EventInvokeConfig: PutFunctionEventInvokeConfig on FunctionName +
        Qualifier; physical id "FunctionName|Qualifier"."""

        def __init__(self, function_name: str, qualifier: str):
            self.function_name, self.qualifier = function_name, qualifier

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::Lambda::EventInvokeConfig"

        @property
        def physical_resource_id(self) -> str:
            return f"{self.function_name}|{self.qualifier}"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def,override]
            p = cloudformation_json["Properties"]
            config = {k: p[k] for k in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig") if k in p}
            for k in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts"):
                if k in config:
                    config[k] = int(config[k])
            lambda_backends[account_id][region_name].put_function_event_invoke_config(p["FunctionName"], config)
            return cls(p["FunctionName"], p.get("Qualifier", "$LATEST"))

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def,override]
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            backend = lambda_backends[account_id][region_name]
            try:
                backend.get_function(self.function_name)
            except Exception:
                return  # gone with its function
            backend.get_function(self.function_name).event_invoke_config = []

    class CfnResourceShare(CloudFormationModel):
        """AWS::RAM::ResourceShare: CreateResourceShare. Ref and Fn::GetAtt Arn = the share's
        ARN. An update replaces the share (AWS associates/disassociates in place; moto's RAM
        has no Associate/DisassociateResourceShare)."""

        def __init__(self, arn: str):
            self.arn = arn

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::RAM::ResourceShare"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            if attribute_name == "Arn":
                return self.arn
            raise UnformattedGetAttTemplateException()

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def,override]
            p = cloudformation_json["Properties"]
            share = ram_backends[account_id][region_name].create_resource_share(
                name=resource_name,
                principals=p.get("Principals", []),
                resourceArns=p.get("ResourceArns", []),
                allowExternalPrincipals=str(p.get("AllowExternalPrincipals", True)).lower() == "true",
            )["resourceShare"]
            return cls(share["resourceShareArn"])

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def,override]
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            ram_backends[account_id][region_name].delete_resource_share(self.arn)

    class CfnQueuePolicy(CloudFormationModel):
        """AWS::SQS::QueuePolicy: sets the Policy attribute of each queue in Queues (URLs);
        deleting it removes the policy."""

        def __init__(self, name: str, queue_urls: list):
            self.name, self.queue_urls = name, queue_urls

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::SQS::QueuePolicy"

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @staticmethod
        def _queue_name(url: str) -> str:
            return url.rstrip("/").rsplit("/", 1)[-1]

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def,override]
            p = cloudformation_json["Properties"]
            doc = p["PolicyDocument"]
            policy = doc if isinstance(doc, str) else json.dumps(doc)
            backend = sqs_backends[account_id][region_name]
            for url in p["Queues"]:
                backend.set_queue_attributes(cls._queue_name(url), {"Policy": policy})
            return cls(resource_name, list(p["Queues"]))

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def,override]
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            backend = sqs_backends[account_id][region_name]
            for url in self.queue_urls:
                try:
                    backend.set_queue_attributes(self._queue_name(url), {"Policy": ""})
                except Exception:
                    pass  # the queue is gone already

    def permission_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        """AWS::Lambda::Permission: AddPermission with the generated name as statement id,
        which is also the physical id."""
        p = dict(cloudformation_json["Properties"])
        fn = lambda_backends[account_id][region_name].get_function(p["FunctionName"])
        p.setdefault("StatementId", resource_name)
        fn.policy.add_statement(raw=json.dumps(p))
        permission = Permission(region=region_name)
        permission.sid, permission.function_name = p["StatementId"], p["FunctionName"]
        return permission

    def permission_delete(self: Any, account_id: str, region_name: str) -> None:
        try:
            fn = lambda_backends[account_id][region_name].get_function(self.function_name)
        except Exception:
            return  # gone with its function, and its policy with it
        fn.policy.del_statement(self.sid)

    Permission.create_from_cloudformation_json = classmethod(permission_create)
    Permission.physical_resource_id = property(lambda self: getattr(self, "sid", None))
    Permission.delete = permission_delete

    for fn in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        fn.cache_clear()
    _MODELS.extend((CfnAlarm, CfnEventInvokeConfig, CfnResourceShare, CfnQueuePolicy))


def patch_hosted_zone() -> None:
    """AWS::Route53::HostedZone: a zone with VPCs is a private hosted zone associated with those
    VPCs; HostedZoneConfig.Comment is its comment; the name is stored fully qualified (as
    CreateHostedZone does); deleting the stack deletes the zone. moto created a public zone from
    the name alone (so Route 53 refused VPC authorizations on it) and never deleted it."""
    from moto.route53.models import FakeZone, route53_backends
    from moto.utilities.utils import get_partition

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = cloudformation_json["Properties"]
        vpcs = p.get("VPCs") or []
        name = resource_name if resource_name.endswith(".") else resource_name + "."
        backend = route53_backends[account_id][get_partition(region_name)]
        zone = backend.create_hosted_zone(
            name,
            private_zone=bool(vpcs),
            vpcid=vpcs[0]["VPCId"] if vpcs else None,
            vpcregion=vpcs[0]["VPCRegion"] if vpcs else None,
            comment=(p.get("HostedZoneConfig") or {}).get("Comment"),
        )
        for vpc in vpcs[1:]:
            zone.add_vpc(vpc["VPCId"], vpc["VPCRegion"])
        return zone

    def delete(self: Any, account_id: str, region_name: str) -> None:
        # HostedZoneNotEmpty while its record sets exist: ResourceMap.delete retries later.
        route53_backends[account_id][get_partition(region_name)].delete_hosted_zone(self.id)

    FakeZone.create_from_cloudformation_json = classmethod(create)
    FakeZone.delete = delete


def patch_security_group_egress() -> None:
    """AWS::EC2::SecurityGroup: SecurityGroupEgress replaces the default allow-all egress rule,
    and each rule keeps its Description. moto applied SecurityGroupIngress only, without
    descriptions, so egress stayed "-1 to 0.0.0.0/0"."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    orig = SecurityGroup.create_from_cloudformation_json.__func__

    def _ranges(rule: dict) -> list:
        if "CidrIp" not in rule and "CidrIpv6" not in rule:
            return []
        r = {"CidrIp": rule["CidrIp"]} if "CidrIp" in rule else {"CidrIpv6": rule["CidrIpv6"]}
        if "Description" in rule:
            r["Description"] = rule["Description"]
        return [r]

    def _groups(rule: dict, key: str) -> list:
        return [{"GroupId": rule[key]}] if key in rule else []

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = cloudformation_json["Properties"]
        without_rules = {k: v for k, v in p.items() if k not in ("SecurityGroupIngress", "SecurityGroupEgress")}
        group = orig(cls, resource_name, {**cloudformation_json, "Properties": without_rules},
                     account_id, region_name, **kwargs)
        backend = ec2_backends[account_id][region_name]
        vpc_id = p.get("VpcId")
        for rule in p.get("SecurityGroupIngress", []):
            backend.authorize_security_group_ingress(
                group_name_or_id=group.id, ip_protocol=str(rule["IpProtocol"]),
                from_port=rule.get("FromPort"), to_port=rule.get("ToPort"),
                ip_ranges=_ranges(rule), source_groups=_groups(rule, "SourceSecurityGroupId"), vpc_id=vpc_id,
            )
        egress = p.get("SecurityGroupEgress")
        if egress:
            backend.revoke_security_group_egress(group.id, "-1", None, None, [{"CidrIp": "0.0.0.0/0"}], vpc_id=vpc_id)
            for rule in egress:
                backend.authorize_security_group_egress(
                    group_name_or_id=group.id, ip_protocol=str(rule["IpProtocol"]),
                    from_port=rule.get("FromPort"), to_port=rule.get("ToPort"),
                    ip_ranges=_ranges(rule), source_groups=_groups(rule, "DestinationSecurityGroupId"),
                    vpc_id=vpc_id,
                )
        return group

    SecurityGroup.create_from_cloudformation_json = classmethod(create)


def patch_lambda_function() -> None:
    """AWS::Lambda::Function: Architectures, Tags, LoggingConfig and DeadLetterConfig are applied
    to the function; CreateFunction / UpdateFunctionConfiguration keep LoggingConfig and
    DeadLetterConfig, which GetFunction / GetFunctionConfiguration return. moto's CloudFormation
    model copied only Description, MemorySize, Publish, Timeout, VpcConfig, Environment and
    ReservedConcurrentExecutions (the function was x86_64 and untagged whatever the template
    said), and moto's Lambda modelled neither LoggingConfig nor DeadLetterConfig."""
    from moto.awslambda.models import LambdaFunction

    orig_create = LambdaFunction.create_from_cloudformation_json.__func__
    orig_init = LambdaFunction.__init__
    orig_configuration = LambdaFunction.get_configuration
    orig_update = LambdaFunction.update_configuration

    def __init__(self: Any, account_id: str, spec: dict, region: str, version: Any = 1) -> None:
        orig_init(self, account_id, spec, region, version)
        self.logging_config = spec.get("LoggingConfig")
        self.dead_letter_config = spec.get("DeadLetterConfig")

    def get_configuration(self: Any, on_create: bool = False) -> dict:
        config = orig_configuration(self, on_create=on_create)
        if getattr(self, "logging_config", None):
            config["LoggingConfig"] = self.logging_config
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = self.dead_letter_config
        return config

    def update_configuration(self: Any, config_updates: dict) -> dict:
        for key, attr in (("LoggingConfig", "logging_config"), ("DeadLetterConfig", "dead_letter_config")):
            if key in config_updates:
                setattr(self, attr, config_updates[key] or None)
        return orig_update(self, config_updates)

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        fn = orig_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        p = cloudformation_json["Properties"]
        if p.get("Architectures"):
            fn.architectures = list(p["Architectures"])
        for tag in p.get("Tags", []):
            fn.tags[tag["Key"]] = tag["Value"]
        if p.get("LoggingConfig"):
            fn.logging_config = dict(p["LoggingConfig"])
        if p.get("DeadLetterConfig"):
            fn.dead_letter_config = dict(p["DeadLetterConfig"])
        return fn

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.create_from_cloudformation_json = classmethod(create)


def patch_iam_role() -> None:
    """AWS::IAM::Role. Policies: each inline policy is a JSON policy document, returned as such
    by GetRolePolicy; moto stored the template's parsed dict, which GetRolePolicy then answered
    as a Python repr (not JSON). Update: a new RoleName replaces the role; otherwise the trust
    policy, description, maximum session duration and inline policies are updated in place
    (moto kept the old policies and set the session duration from RoleDescription)."""
    from moto.iam.models import Role, iam_backends
    from moto.utilities.utils import get_partition

    orig_create = Role.create_from_cloudformation_json.__func__

    def _as_json(doc: Any) -> str:
        return doc if isinstance(doc, str) else json.dumps(doc)

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = cloudformation_json["Properties"]
        policies = [{**pol, "PolicyDocument": _as_json(pol["PolicyDocument"])} for pol in p.get("Policies", [])]
        return orig_create(cls, resource_name, {**cloudformation_json, "Properties": {**p, "Policies": policies}},
                           account_id, region_name, **kwargs)

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        p = cloudformation_json["Properties"]
        backend = iam_backends[account_id][get_partition(region_name)]
        name = p.get("RoleName", original_resource.name)
        if name != original_resource.name:
            role = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
            cls.delete_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)
            return role
        backend.update_assume_role_policy(name, _as_json(p["AssumeRolePolicyDocument"]))
        role = backend.update_role(name, p.get("Description", ""), p.get("MaxSessionDuration", 3600))
        wanted = {pol["PolicyName"]: _as_json(pol["PolicyDocument"]) for pol in p.get("Policies", [])}
        for policy_name in list(role.policies):
            if policy_name not in wanted:
                role.delete_policy(policy_name)
        for policy_name, document in wanted.items():
            role.put_policy(policy_name, document)
        return role

    Role.create_from_cloudformation_json = classmethod(create)
    Role.update_from_cloudformation_json = classmethod(update)


def install() -> None:
    patch_template_body_size()
    patch_parameter_constraints()
    patch_use_previous_value()
    patch_list_parameters()
    patch_novalue_in_lists()
    patch_stack_resources()
    patch_update_conditions()
    patch_vpc_endpoint()
    patch_new_models()
    patch_hosted_zone()
    patch_security_group_egress()
    patch_lambda_function()
    patch_iam_role()
