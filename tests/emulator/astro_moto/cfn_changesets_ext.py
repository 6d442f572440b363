"""CloudFormation change set extensions: what the peer-role function's removal of the PeerRole
takes (CreateChangeSet with the previous template and CreatePeerRole=false, DescribeChangeSet
until it is ready, ExecuteChangeSet only if its one change is the PeerRole's removal, else
DeleteChangeSet), done the way the AWS CloudFormation API Reference says.

Every ``patch_*`` function changes one behaviour of moto's own CloudFormation code;
``install()`` applies them all. It must run after ``cfn_ext.install()``: the stack update that
ExecuteChangeSet performs is cfn_ext's (patch_update_conditions), and CreateChangeSet keeps
cfn_ext's TemplateBody size check.

  * patch_changes          DescribeChangeSet Changes: Type "Resource" + ResourceChange (Action
                           Add / Modify / Remove, LogicalResourceId, PhysicalResourceId,
                           ResourceType, Replacement, Scope, Details, PolicyAction), Conditions
                           and parameter values included
  * patch_create           CreateChangeSet: a change set that changes nothing ends FAILED with
                           AWS's StatusReason instead of failing the call; Capabilities kept
  * patch_lookup           Describe / Execute / Delete / ListChangeSets: change sets of the
                           named stack; ChangeSetNotFound for an unknown change set
  * patch_execute          ExecuteChangeSet: only a CREATE_COMPLETE / AVAILABLE change set
                           (else InvalidChangeSetStatus); the stack is updated as UpdateStack does
                           (parameters, outputs, status); the stack's other change sets go
  * patch_update_stack     UpdateStack leaves the stack's change sets OBSOLETE

The change set is computed when it is created (CloudFormation's CREATE_PENDING /
CREATE_IN_PROGRESS are not shown: DescribeChangeSet answers CREATE_COMPLETE or FAILED at once).
"""
from __future__ import annotations

import contextvars
import re
from typing import Any

from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
from moto.cloudformation.parsing import ResourceMap
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult, EmptyResult

from .cfn_ext import _references

NO_CHANGES = ("The submitted information didn't contain changes. Submit different information to "
              "create a change set.")

# The Capabilities of the CreateChangeSet request being served (the backend is not given
# them); None outside CreateChangeSet.
_CREATE_CHANGE_SET: contextvars.ContextVar = contextvars.ContextVar("astro_create_change_set", default=None)

# Properties whose change replaces the resource (RequiresRecreation Always): the createOnly
# properties of the CloudFormation resource schemas of the types the project's stack uses.
# Any other property of these or other types is taken as updatable in place (Never).
CREATE_ONLY = {
    "AWS::CloudWatch::Alarm": {"AlarmName"},
    "AWS::EC2::PrefixList": {"AddressFamily"},
    "AWS::EC2::SecurityGroup": {"GroupDescription", "GroupName", "VpcId"},
    "AWS::EC2::VPCEndpoint": {"ServiceName", "VpcEndpointType", "VpcId"},
    "AWS::Events::Rule": {"EventBusName", "Name"},
    "AWS::IAM::Role": {"Path", "RoleName"},
    "AWS::Lambda::EventInvokeConfig": {"FunctionName", "Qualifier"},
    "AWS::Lambda::Function": {"FunctionName"},
    "AWS::Lambda::Permission": {"Action", "EventSourceToken", "FunctionName", "FunctionUrlAuthType",
                                "Principal", "PrincipalOrgID", "SourceAccount", "SourceArn"},
    "AWS::Logs::LogGroup": {"LogGroupName"},
    "AWS::Route53::HostedZone": {"Name"},
    "AWS::Route53::RecordSet": {"HostedZoneId", "HostedZoneName", "Name"},
    "AWS::SNS::Topic": {"FifoTopic", "TopicName"},
    "AWS::SQS::Queue": {"FifoQueue", "QueueName"},
}

# Resource attributes whose change is itself a change of the resource (ResourceAttribute enum).
_ATTRIBUTES = ("Metadata", "CreationPolicy", "UpdatePolicy", "DeletionPolicy", "UpdateReplacePolicy")


# --------------------------------------------------------------------------
# Errors (codes and HTTP statuses as the CloudFormation API Reference lists them)
# --------------------------------------------------------------------------
class ChangeSetNotFound(CloudFormationError):
    """DescribeChangeSet / ExecuteChangeSet: ChangeSetNotFound (HTTP 404)."""

    code = "ChangeSetNotFound"

    def __init__(self, name: str):
        super().__init__(f"ChangeSet [{name}] does not exist")


class InvalidChangeSetStatus(CloudFormationError):
    """ExecuteChangeSet / DeleteChangeSet: InvalidChangeSetStatus (HTTP 400)."""

    code = "InvalidChangeSetStatus"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def _get_atts(node: Any) -> set:
    """(logical id, attribute) of every Fn::GetAtt (and ${Res.Attr} in Fn::Sub) in a fragment."""
    found: set = set()
    if isinstance(node, list):
        for item in node:
            found |= _get_atts(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::GetAtt":
                target = value.split(".", 1) if isinstance(value, str) else value
                if isinstance(target, list) and len(target) == 2 and isinstance(target[1], str):
                    found.add((target[0], target[1]))
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {tuple(n.split(".", 1)) for n in re.findall(r"\$\{([^!}][^}]*)\}", text) if "." in n}
                if not isinstance(value, str):
                    found |= _get_atts(value[1])
            else:
                found |= _get_atts(value)
    return found


def _condition_parameters(conditions: dict, name: str, seen: set | None = None) -> set:
    """The parameters a condition depends on, through the conditions it names."""
    seen = seen if seen is not None else set()
    if name in seen or name not in conditions:
        return set()
    seen.add(name)
    out = set()
    for ref in _references(conditions[name]) | _condition_names(conditions[name]):
        if ref in conditions:
            out |= _condition_parameters(conditions, ref, seen)
        else:
            out.add(ref)
    return out


def _condition_names(node: Any) -> set:
    found: set = set()
    if isinstance(node, list):
        for item in node:
            found |= _condition_names(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Condition" and isinstance(value, str):
                found.add(value)
            else:
                found |= _condition_names(value)
    return found


def _new_state(stack: Any, template: dict, parameters: dict) -> ResourceMap:
    """The parameter values and conditions the change set gives the stack (nothing created);
    loading checks the parameters as CreateChangeSet does."""
    state = ResourceMap(
        stack.stack_id, stack.name, parameters, stack.tags,
        account_id=stack.account_id, region_name=stack.region_name,
        template=template, cross_stack_resources=stack.cross_stack_resources,
    )
    state.load()
    return state


def _target(resource_type: str, name: str) -> dict:
    """ResourceTargetDefinition of a property (Tags: the Tags attribute)."""
    if name == "Tags":
        return {"Attribute": "Tags", "RequiresRecreation": "Never"}
    recreation = "Always" if name in CREATE_ONLY.get(resource_type, ()) else "Never"
    return {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation}


def _has_detail(details: list, detail: dict) -> bool:
    return any(d["Target"] == detail["Target"] and d["ChangeSource"] == detail["ChangeSource"]
               and d.get("CausingEntity") == detail.get("CausingEntity") for d in details)


def _overall_replacement(details: list) -> str:
    static = {d["Target"]["RequiresRecreation"] for d in details if d["Evaluation"] == "Static"}
    dynamic = {d["Target"]["RequiresRecreation"] for d in details if d["Evaluation"] == "Dynamic"}
    if "Always" in static:
        return "True"
    if "Conditionally" in static or dynamic & {"Always", "Conditionally"}:
        return "Conditional"
    return "False"


def compute_changes(stack: Any, template: dict, parameters: dict) -> tuple:
    """(ResourceChanges, new resolved parameter values) of applying ``template`` with
    ``parameters`` to ``stack``: what DescribeChangeSet lists, in the order of the template
    (additions and modifications, then removals)."""
    old = stack.resource_map
    old_json = old._resource_json_map if old._template else {}
    new_json = template.get("Resources", {})
    new = _new_state(stack, template, parameters)
    old_values = dict(old.resolved_parameters) if old._template else {}
    new_values = dict(new.resolved_parameters)
    old_conditions = {c: bool(old.lazy_condition_map[c]) for c in (old._template or {}).get("Conditions", {})}
    new_conditions = template.get("Conditions", {})
    changed_params = {p for p in set(old_values) | set(new_values) if old_values.get(p) != new_values.get(p)}
    changed_conds = {c for c in new_conditions if old_conditions.get(c) != bool(new.lazy_condition_map[c])}

    def wanted(lid: str) -> bool:
        cond = new_json[lid].get("Condition")
        return not cond or bool(new.lazy_condition_map[cond])

    existing = {lid: old._parsed_resources[lid] for lid in old_json
                if old._parsed_resources.get(lid) is not None}
    kept = [lid for lid in new_json if lid in existing and wanted(lid)]

    def static_details(lid: str) -> list:
        rtype = new_json[lid]["Type"]
        old_r, new_r = old_json[lid], new_json[lid]
        details = []

        def causes(fragment: Any) -> list:
            refs = _references(fragment)
            out = [("ParameterReference", p) for p in sorted(refs & changed_params)]
            for cond in sorted(refs & changed_conds):
                params = sorted(_condition_parameters(new_conditions, cond) & changed_params) or [cond]
                out += [("ParameterReference", p) for p in params if ("ParameterReference", p) not in out]
            return out

        old_p, new_p = old_r.get("Properties") or {}, new_r.get("Properties") or {}
        for name in list(new_p) + [n for n in old_p if n not in new_p]:
            target = _target(rtype, name)
            if old_p.get(name) != new_p.get(name):
                details.append({"Target": target, "Evaluation": "Static", "ChangeSource": "DirectModification"})
            else:
                details += [{"Target": target, "Evaluation": "Static", "ChangeSource": source, "CausingEntity": entity}
                            for source, entity in causes(new_p.get(name))]
        for attribute in _ATTRIBUTES:
            target = {"Attribute": attribute, "RequiresRecreation": "Never"}
            if old_r.get(attribute) != new_r.get(attribute):
                details.append({"Target": target, "Evaluation": "Static", "ChangeSource": "DirectModification"})
            elif attribute == "Metadata":
                details += [{"Target": target, "Evaluation": "Static", "ChangeSource": source, "CausingEntity": entity}
                            for source, entity in causes(new_r.get(attribute))]
        return details

    details = {lid: static_details(lid) for lid in kept}
    # Resources that read a resource being (maybe) replaced: its physical id (Ref) and attributes
    # (Fn::GetAtt) change with it. Until nothing new.
    while True:
        replaced = {lid for lid in kept
                    if details[lid] and _overall_replacement(details[lid]) in ("True", "Conditional")}
        grew = False
        for lid in kept:
            rtype = new_json[lid]["Type"]
            props = new_json[lid].get("Properties") or {}
            for name, value in props.items():
                target = _target(rtype, name)
                wanted_details = [("ResourceReference", r) for r in sorted(_references(value) & replaced)]
                wanted_details += [("ResourceAttribute", f"{r}.{a}") for r, a in sorted(_get_atts(value))
                                   if r in replaced]
                for source, entity in wanted_details:
                    detail = {"Target": target, "Evaluation": "Dynamic", "ChangeSource": source,
                              "CausingEntity": entity}
                    if _has_detail(details[lid], detail):
                        continue
                    details[lid].append(detail)
                    grew = True
        if not grew:
            break

    changes = []
    for lid in new_json:
        rtype = new_json[lid]["Type"]
        if lid not in existing and wanted(lid):
            changes.append(_change("Add", lid, rtype, scope=[], details=[]))
        elif lid in details and details[lid]:
            replacement = _overall_replacement(details[lid])
            scope = sorted({d["Target"]["Attribute"] for d in details[lid]})
            policy = None
            if replacement == "True":
                policy = "ReplaceAndRetain" if new_json[lid].get("UpdateReplacePolicy") == "Retain" else "ReplaceAndDelete"
            changes.append(_change("Modify", lid, rtype, physical=existing[lid].physical_resource_id,
                                   replacement=replacement, scope=scope, details=details[lid], policy=policy))
    for lid in old_json:
        if lid in existing and (lid not in new_json or not wanted(lid)):
            deletion = old_json[lid].get("DeletionPolicy", "Delete")
            changes.append(_change("Remove", lid, old_json[lid]["Type"], physical=existing[lid].physical_resource_id,
                                   scope=[], details=[], policy="Retain" if deletion == "Retain" else (
                                       "Snapshot" if deletion == "Snapshot" else "Delete")))
    return changes, new_values


def _change(action: str, lid: str, rtype: str, physical: Any = None, replacement: str | None = None,
            scope: list | None = None, details: list | None = None, policy: str | None = None) -> dict:
    rc: dict = {"Action": action, "LogicalResourceId": lid}
    if physical is not None:
        rc["PhysicalResourceId"] = physical
    rc["ResourceType"] = rtype
    if replacement is not None:
        rc["Replacement"] = replacement
    rc["Scope"] = scope or []
    rc["Details"] = details or []
    if policy is not None:
        rc["PolicyAction"] = policy
    return rc


def _stack_name_of(backend: Any, name_or_id: str) -> str:
    """A stack's name, given its name or its ARN (a live stack's)."""
    stack = backend.stacks.get(name_or_id)
    return stack.name if stack is not None else name_or_id


def find_change_set(backend: Any, name_or_arn: str, stack_name: str | None) -> Any:
    """The change set with that ARN, or that name on that stack (DescribeChangeSet /
    ExecuteChangeSet / DeleteChangeSet: StackName is needed when ChangeSetName is a name)."""
    if name_or_arn in backend.change_sets:
        return backend.change_sets[name_or_arn]
    if name_or_arn.startswith("arn:"):
        raise ChangeSetNotFound(name_or_arn)
    if not stack_name:
        raise ValidationError(message="StackName must be specified if ChangeSetName is not specified as an ARN.")
    stack = backend.get_stack(stack_name)
    for change_set in backend.change_sets.values():
        if change_set.stack_id == stack.stack_id and change_set.change_set_name == name_or_arn:
            return change_set
    raise ChangeSetNotFound(name_or_arn)


# --------------------------------------------------------------------------
# Patches
# --------------------------------------------------------------------------
def patch_changes() -> None:
    """AWS DescribeChangeSet Changes: one Change per resource the change set adds, modifies or
    removes, {"Type": "Resource", "ResourceChange": {Action, LogicalResourceId,
    PhysicalResourceId (not for Add), ResourceType, Replacement (Modify: True | False |
    Conditional), Scope, Details, PolicyAction}}. A resource whose Condition turns false under
    the new parameters is a Remove (PolicyAction Delete, or Retain with DeletionPolicy Retain);
    one whose Condition turns true an Add; a kept resource is a Modify when its properties
    change in the template (ChangeSource DirectModification) or reference a parameter whose
    value changes, directly or through a condition of Fn::If (ParameterReference, CausingEntity
    the parameter), or read a resource being replaced (Replacement True or Conditional) with Ref
    or Fn::GetAtt (Evaluation Dynamic, ChangeSource ResourceReference / ResourceAttribute,
    CausingEntity the resource / "Resource.Attribute"). RequiresRecreation Always for the
    create-only properties of CREATE_ONLY, else Never.

    moto's change set diff ignored Conditions (a flipped resource showed nothing) and compared
    parameters with the values passed at create; and its Change objects did not fit the API
    shape, so DescribeChangeSet always answered "Changes": []."""

    def diff(self: Any) -> list:
        # moto's DescribeChangeSet response wraps each one as {"Type": "Resource",
        # "ResourceChange": ...} (responses.ChangeDTO).
        changes, self._new_values = compute_changes(self.stack, self.template_dict, self.parameters)
        return changes

    ChangeSet.diff = diff


def patch_create() -> None:
    """AWS CreateChangeSet (ChangeSetType UPDATE) whose template and parameter values are those
    the stack already has: the call succeeds and the change set ends Status FAILED,
    ExecutionStatus UNAVAILABLE, StatusReason "The submitted information didn't contain
    changes. Submit different information to create a change set." (values compared after
    UsePreviousValue and defaults). DescribeChangeSet returns the Capabilities passed.

    UsePreviousValue keeps the value the stack has: the one passed last (as UpdateStack does,
    cfn_ext.patch_use_previous_value), or the default of a parameter never passed; a key the
    previous template does not declare is a ValidationError.

    moto failed the CreateChangeSet call itself with ValidationError "No updates are to be
    performed." (UpdateStack's error) when the parameters were passed with UsePreviousValue,
    and otherwise compared the parameters as passed, not their values. For UsePreviousValue it
    took the *resolved* value (a CommaDelimitedList as a Python list, which the change set's
    stack could not load) and answered HTTP 500 for an undeclared key."""
    orig_validate = CloudFormationResponse._validate_different_update
    orig_stack_parameters = Stack.stack_parameters.fget

    class _PreviousValues(dict):
        def __missing__(self, key: str) -> Any:
            raise ValidationError(
                message=f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as "
                "true for a parameter key not in the previous template")

    def stack_parameters(self: Any) -> Any:
        if _CREATE_CHANGE_SET.get() is None:
            return orig_stack_parameters(self)
        declared = self.template_dict.get("Parameters", {})
        values = _PreviousValues({k: str(v["Default"]) for k, v in declared.items() if "Default" in v})
        values.update(self.parameters or {})
        return values

    orig_response = CloudFormationResponse.create_change_set
    orig_backend = CloudFormationBackend.create_change_set

    def _validate_different_update(self: Any, *args: Any, **kwargs: Any) -> None:
        if _CREATE_CHANGE_SET.get() is not None:
            return  # CreateChangeSet: "no changes" is the change set's status, not an error
        orig_validate(self, *args, **kwargs)

    def create_change_set_response(self: Any) -> Any:
        token = _CREATE_CHANGE_SET.set(list(self._get_param("Capabilities", []) or []))
        try:
            return orig_response(self)
        finally:
            _CREATE_CHANGE_SET.reset(token)

    def create_change_set(self: Any, *args: Any, **kwargs: Any) -> tuple:
        # AWS: StackName is "the name or the unique ID of the stack"; moto matched names only.
        if "stack_name" in kwargs:
            kwargs["stack_name"] = _stack_name_of(self, kwargs["stack_name"])
        elif args:
            args = (_stack_name_of(self, args[0]), *args[1:])
        # AWS: a change set name is unique per stack (AlreadyExistsException).
        stack_name = kwargs.get("stack_name", args[0] if args else None)
        name = kwargs.get("change_set_name", args[1] if len(args) > 1 else None)
        if any(cs.change_set_name == name and cs.stack_name == stack_name for cs in self.change_sets.values()):
            from moto.cloudformation.exceptions import AlreadyExistsException

            raise AlreadyExistsException(f"ChangeSet {name} already exists")
        change_set_id, stack_id = orig_backend(self, *args, **kwargs)
        change_set = self.change_sets[change_set_id]
        change_set.capabilities = _CREATE_CHANGE_SET.get() or []
        stack = change_set.stack
        unchanged = (
            change_set.change_set_type == "UPDATE"
            and not change_set.changes
            and stack.template_dict == change_set.template_dict
            and dict(stack.resource_map.resolved_parameters) == getattr(change_set, "_new_values", None)
        )
        if unchanged:
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = NO_CHANGES
        else:
            change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
            change_set.status_reason = None
        return change_set_id, stack_id

    Stack.stack_parameters = property(stack_parameters)
    CloudFormationResponse._validate_different_update = _validate_different_update
    CloudFormationResponse.create_change_set = create_change_set_response
    CloudFormationBackend.create_change_set = create_change_set


def patch_lookup() -> None:
    """AWS DescribeChangeSet / DeleteChangeSet / ExecuteChangeSet take the change set's ARN, or
    its name with the StackName it belongs to; ListChangeSets lists the change sets of
    StackName. An unknown change set: ChangeSetNotFound, "ChangeSet [NAME] does not exist"
    (HTTP 404); DeleteChangeSet of one that does not exist on an existing stack succeeds (its
    API reference lists no not-found error). moto looked a name up across all stacks, answered
    ValidationError "Stack with id NAME does not exist" for an unknown change set (HTTP 500 in
    DeleteChangeSet), and ListChangeSets listed every stack's change sets."""

    def describe_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> Any:
        return find_change_set(self, change_set_name, stack_name)

    def delete_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        try:
            change_set = find_change_set(self, change_set_name, stack_name)
        except ChangeSetNotFound:
            return
        if change_set.execution_status == "EXECUTE_IN_PROGRESS":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{change_set.change_set_id}] cannot be deleted in its current execution status "
                f"of [{change_set.execution_status}]")
        del self.change_sets[change_set.change_set_id]

    def describe_response(self: Any) -> ActionResult:
        return ActionResult(self.cloudformation_backend.describe_change_set(
            change_set_name=self._get_param("ChangeSetName"), stack_name=self._get_param("StackName")))

    def delete_response(self: Any) -> EmptyResult:
        self.cloudformation_backend.delete_change_set(
            change_set_name=self._get_param("ChangeSetName"), stack_name=self._get_param("StackName"))
        return EmptyResult()

    def list_response(self: Any) -> ActionResult:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        summaries = [cs for cs in self.cloudformation_backend.change_sets.values() if cs.stack_id == stack.stack_id]
        return ActionResult({"Summaries": summaries})

    CloudFormationBackend.describe_change_set = describe_change_set
    CloudFormationBackend.delete_change_set = delete_change_set
    CloudFormationResponse.describe_change_set = describe_response
    CloudFormationResponse.delete_change_set = delete_response
    CloudFormationResponse.list_change_sets = list_response


def patch_execute() -> None:
    """AWS ExecuteChangeSet: only a change set with Status CREATE_COMPLETE and ExecutionStatus
    AVAILABLE can be executed; otherwise InvalidChangeSetStatus, "ChangeSet [ARN] cannot be
    executed in its current status of [STATUS]" / "... in its current execution status of
    [EXECUTION_STATUS]". Executing updates the stack with the change set's template and
    parameters as UpdateStack does (cfn_ext: Conditions honoured, the PeerRole deleted when
    CreatePeerRole turns false; DescribeStacks then shows the new parameter values and
    outputs, StackStatus UPDATE_COMPLETE), the change set's ExecutionStatus becomes
    EXECUTE_COMPLETE, and "CloudFormation deletes all other change sets associated with the
    stack because they aren't valid for the updated stack".

    moto executed any change set, FAILED or already executed ones included (HTTP 500 for the
    FAILED one of a no-change update), kept the stack's outputs and the other change sets."""
    orig = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = find_change_set(self, change_set_name, stack_name)
        arn = change_set.change_set_id
        if change_set.status != "CREATE_COMPLETE":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{arn}] cannot be executed in its current status of [{change_set.status}]")
        if change_set.execution_status != "AVAILABLE":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{arn}] cannot be executed in its current execution status of "
                f"[{change_set.execution_status}]")
        if change_set.change_set_type == "CREATE":
            orig(self, arn, stack_name)
        else:
            stack = self.stacks[change_set.stack_id]
            change_set.execution_status = "EXECUTE_IN_PROGRESS"
            stack.update(change_set.template, role_arn=change_set.role_arn or stack.role_arn,
                         parameters=change_set.parameters, tags=change_set.tags or None)
            change_set.execution_status = "EXECUTE_COMPLETE"
        for other in [cs for cs in self.change_sets.values()
                      if cs.stack_id == change_set.stack_id and cs is not change_set]:
            del self.change_sets[other.change_set_id]

    CloudFormationBackend.execute_change_set = execute_change_set


def patch_update_stack() -> None:
    """AWS DescribeChangeSet ExecutionStatus OBSOLETE: the stack was updated (UpdateStack) after
    the change set was created, which can no longer be executed. moto left it AVAILABLE."""
    orig = CloudFormationBackend.update_stack

    def update_stack(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        stack = orig(self, name, *args, **kwargs)
        for change_set in self.change_sets.values():
            if change_set.stack_id == stack.stack_id and change_set.execution_status == "AVAILABLE":
                change_set.execution_status = "OBSOLETE"
        return stack

    CloudFormationBackend.update_stack = update_stack


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    patch_changes()
    patch_create()
    patch_lookup()
    patch_execute()
    patch_update_stack()
    _installed = True
