"""CloudFormation StackSets extensions: service-managed StackSets deployed to AWS Organizations
OUs, as the CloudFormation API Reference (CreateStackSet, CreateStackInstances,
DeleteStackInstances, DeploymentTargets) and the StackSets User Guide describe them:

  * Each stack instance is a real stack named ``StackSet-<StackSetName>-<uuid>`` in the target
    account and Region: that account sees it in DescribeStacks / ListStacks, and
    ListStackInstances gives its StackId (and, for an OU target, OrganizationalUnitId).
  * DeploymentTargets.OrganizationalUnitIds targets the accounts of those OUs *and of all their
    child OUs*; the organization's management account never gets a stack instance, even when
    it sits in a target OU (or the root is targeted). Accounts + AccountFilterType
    (INTERSECTION, DIFFERENCE, UNION - the default - or NONE) refine the set.
  * A stack instance takes the stack set's parameter values, with ParameterOverrides replacing
    only the keys they name.
  * DeleteStackInstances takes DeploymentTargets (OUs) for a service-managed stack set, and
    RetainStacks keeps the stacks (they leave the stack set).
  * AutoDeployment (returned by DescribeStackSet): with Enabled, an account moved into a target
    OU gets the stack set's instances in the Regions deployed to that OU, and an account moved
    out loses them unless RetainStacksOnAccountRemoval.

moto 5.2.1 (cloudformation/models.py): a SERVICE_MANAGED instance was a hidden Stack never
registered in the member account (its resources existed, DescribeStacks showed nothing), the
StackId of a summary was random, OUs were resolved one level deep, the management account was
not excluded, ParameterOverrides replaced every stack set parameter, DeleteStackInstances
ignored DeploymentTargets and RetainStacks, AutoDeployment was dropped, and SELF_MANAGED stacks
were named "StackSet:<name>" (":" is not valid in a stack name).
Not modelled: trusted access (ActivateOrganizationsAccess), delegated administrators, failed
instances (a stack that cannot be created fails the CreateStackInstances call itself),
UpdateStackSet / UpdateStackInstances reaching the instances' stacks.
"""
from __future__ import annotations

from typing import Any

from moto.cloudformation.models import StackInstance, StackInstances, StackSet, cloudformation_backends
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult
from moto.moto_api._internal import mock_random
from moto.organizations.models import OrganizationsBackend


def _descendant_ous(org: Any, ou_ids: list) -> dict:
    """Every OU under (and including) ``ou_ids`` -> the requested OU it descends from."""
    result: dict = {}
    for top in ou_ids:
        todo = [top]
        while todo:
            current = todo.pop()
            if current in result:
                continue
            result[current] = top
            todo.extend(ou.id for ou in org.ou if getattr(ou, "parent_id", None) == current)
    return result


def _management_account(org: Any) -> str | None:
    return org.org.master_account_id if getattr(org, "org", None) else None


def _ou_accounts(org: Any, ou_ids: list) -> list:
    """(account id, requested OU id) for the accounts in the OUs or their descendants, the
    management account excepted."""
    under = _descendant_ous(org, ou_ids)
    mgmt = _management_account(org)
    return [(a.id, under[a.parent_id]) for a in org.accounts if a.parent_id in under and a.id != mgmt]


def _apply_filter(ou_accounts: list, accounts: list, filter_type: str | None) -> list:
    kind = (filter_type or "UNION").upper()
    if kind == "INTERSECTION":
        return [(a, ou) for a, ou in ou_accounts if a in accounts]
    if kind == "DIFFERENCE":
        return [(a, ou) for a, ou in ou_accounts if a not in accounts]
    if kind == "UNION":
        seen = {a for a, _ in ou_accounts}
        return list(ou_accounts) + [(a, None) for a in accounts if a not in seen]
    return list(ou_accounts)


def _as_dict(parameters: Any) -> dict:
    if isinstance(parameters, dict):
        return dict(parameters)
    return {p["ParameterKey"]: p["ParameterValue"] for p in parameters or [] if "ParameterValue" in p}


def patch_stack_instance() -> None:
    """A stack instance is a registered stack StackSet-<name>-<uuid> in its account and Region
    (both permission models), created with the stack set's values plus the overrides."""

    def __init__(self: Any, account_id: str, region_name: str, stackset_id: str, stack_name: str,
                 name: str, template: str, parameters: Any, permission_model: str,
                 overrides: list | None = None) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.stackset_id = stackset_id
        self.stack_name = stack_name
        self.name = name
        self.template = template
        self.parameters = overrides or []
        self.permission_model = permission_model
        self.organizational_unit_id = None
        backend = cloudformation_backends[account_id][region_name]
        self.stack = backend.create_stack(
            name=f"StackSet-{name}-{mock_random.uuid4()}", template=template, parameters=_as_dict(parameters)
        )

    def delete(self: Any, retain: bool = False) -> None:
        if not retain:
            cloudformation_backends[self.account_id][self.region_name].delete_stack(self.stack.stack_id)

    def to_dict(self: Any) -> dict:
        d = {
            "StackId": self.stack.stack_id,
            "StackSetId": self.stackset_id,
            "Region": self.region_name,
            "Account": self.account_id,
            "Status": "CURRENT",
            "ParameterOverrides": self.parameters,
            "StackInstanceStatus": {"DetailedStatus": "SUCCEEDED"},
        }
        if self.organizational_unit_id:
            d["OrganizationalUnitId"] = self.organizational_unit_id
        return d

    StackInstance.__init__ = __init__
    StackInstance.delete = delete
    StackInstance.to_dict = to_dict


def patch_create_instances() -> None:
    """Targets: OUs resolved recursively without the management account, AccountFilterType,
    no second instance for an (account, Region) the stack set already has; parameters: the
    stack set's, with the overrides on top."""
    orig_stackset_create = StackSet.create_stack_instances

    def stackset_create_stack_instances(self: Any, accounts: list, regions: list,
                                        deployment_targets: Any, parameters: list) -> str:
        self.instances.parameters = dict(self.parameters or {})  # current values (UpdateStackSet)
        return orig_stackset_create(self, accounts=accounts, regions=regions,
                                    deployment_targets=deployment_targets, parameters=parameters)

    def create_instances(self: Any, accounts: list, regions: list, parameters: Any,
                         deployment_targets: dict, permission_model: str) -> list:
        requested_ous = deployment_targets.get("OrganizationalUnitIds", [])
        if permission_model == "SERVICE_MANAGED":
            targets = _apply_filter(_ou_accounts(self.org_backend, requested_ous),
                                    deployment_targets.get("Accounts") or [],
                                    deployment_targets.get("AccountFilterType"))
        else:
            targets = [(a, None) for a in accounts or deployment_targets.get("Accounts") or []]
        overrides = [] if isinstance(parameters, dict) else list(parameters or [])
        values = {**dict(self.parameters or {}), **_as_dict(overrides)}
        existing = {(i.account_id, i.region_name) for i in self.stack_instances}
        new_instances = []
        for region in regions:
            for account, ou in targets:
                if (account, region) in existing:
                    continue
                instance = StackInstance(
                    account_id=account, region_name=region, stackset_id=self.stackset_id,
                    stack_name=self.stack_name, name=self.stackset_name, template=self.template,
                    parameters=values, permission_model=permission_model, overrides=overrides,
                )
                instance.organizational_unit_id = ou
                new_instances.append(instance)
                existing.add((account, region))
        self.stack_instances += new_instances
        targets_by_ou = self.__dict__.setdefault("_ou_targets", {})
        for ou in requested_ous:
            entry = targets_by_ou.setdefault(ou, {"regions": set(), "overrides": overrides})
            entry["regions"].update(regions)
        return [i.to_dict() for i in new_instances]

    def delete(self: Any, accounts: list, regions: list, retain: bool = False) -> None:
        for instance in [i for i in self.stack_instances if i.region_name in regions and i.account_id in accounts]:
            instance.delete(retain=retain)
            self.stack_instances.remove(instance)

    StackSet.create_stack_instances = stackset_create_stack_instances
    StackInstances.create_instances = create_instances
    StackInstances.delete = delete


def patch_delete_stack_instances() -> None:
    """DeleteStackInstances: DeploymentTargets (OUs, recursively, with AccountFilterType) and
    RetainStacks."""

    def delete_stack_instances(self: Any) -> ActionResult:
        stackset = self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName"))
        regions = self._get_param("Regions", [])
        retain = self._get_bool_param("RetainStacks", False)
        accounts = self._get_param("Accounts", [])
        targets = self._get_params().get("DeploymentTargets") or {}
        if targets.get("OrganizationalUnitIds"):
            found = _ou_accounts(stackset.instances.org_backend, targets["OrganizationalUnitIds"])
            accounts = [a for a, _ in _apply_filter(found, targets.get("Accounts") or [],
                                                     targets.get("AccountFilterType"))]
        elif targets.get("Accounts"):
            accounts = targets["Accounts"]
        stackset.instances.delete(accounts, regions, retain=retain)
        operation = stackset._create_operation(
            operation_id=self._get_param("OperationId") or str(mock_random.uuid4()),
            action="DELETE", status="SUCCEEDED", accounts=accounts, regions=regions,
        )
        return ActionResult({"OperationId": operation["OperationId"]})

    CloudFormationResponse.delete_stack_instances = delete_stack_instances


def patch_auto_deployment() -> None:
    """CreateStackSet keeps AutoDeployment (DescribeStackSet returns it); MoveAccount into a
    target OU creates the account's instances, out of every target OU deletes them (or retains
    the stacks with RetainStacksOnAccountRemoval)."""
    orig_create = CloudFormationResponse.create_stack_set

    def create_stack_set(self: Any) -> Any:
        result = orig_create(self)
        auto = self._get_params().get("AutoDeployment")
        if auto is not None:
            stackset = self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName"))
            stackset.auto_deployment = {
                "Enabled": str(auto.get("Enabled")).lower() == "true",
                "RetainStacksOnAccountRemoval": str(auto.get("RetainStacksOnAccountRemoval")).lower() == "true",
            }
        return result

    orig_move = OrganizationsBackend.move_account

    def move_account(self: Any, **kwargs: Any) -> None:
        orig_move(self, **kwargs)
        account = kwargs["AccountId"]
        mgmt = _management_account(self)
        if not mgmt or account == mgmt:
            return
        for backend in list(dict.values(dict.get(cloudformation_backends, mgmt) or {})):
            for stackset in backend.stacksets.values():
                auto = getattr(stackset, "auto_deployment", None) or {}
                targets = getattr(stackset.instances, "_ou_targets", {})
                if stackset.status != "ACTIVE" or stackset.permission_model != "SERVICE_MANAGED" \
                        or not auto.get("Enabled") or not targets:
                    continue
                now_in = dict(_ou_accounts(self, list(targets)))
                if account in now_in:
                    target = targets[now_in[account]]
                    stackset.instances.parameters = dict(stackset.parameters or {})
                    stackset.instances.create_instances(
                        [], sorted(target["regions"]), target["overrides"],
                        {"OrganizationalUnitIds": [now_in[account]]}, "SERVICE_MANAGED",
                    )
                else:
                    regions = sorted({r for t in targets.values() for r in t["regions"]})
                    stackset.instances.delete([account], regions,
                                              retain=auto.get("RetainStacksOnAccountRemoval", False))

    CloudFormationResponse.create_stack_set = create_stack_set
    OrganizationsBackend.move_account = move_account


def install() -> None:
    patch_stack_instance()
    patch_create_instances()
    patch_delete_stack_instances()
    patch_auto_deployment()
