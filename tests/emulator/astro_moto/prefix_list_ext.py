"""AWS::EC2::PrefixList in CloudFormation: moto has customer-managed prefix lists in EC2 but no
CloudFormation model for them, so a stack declaring one listed it as an empty placeholder.

AWS (CloudFormation resource reference, AWS::EC2::PrefixList): properties PrefixListName,
AddressFamily (IPv4 | IPv6), MaxEntries, Entries (Cidr, Description), Tags; Ref is the prefix
list id; Fn::GetAtt PrefixListId, Arn, OwnerId, Version. More entries than MaxEntries fail the
resource. Entries and the name update in place (ModifyManagedPrefixList); AddressFamily or
MaxEntries replace it here (AWS can raise MaxEntries in place; the project never does).
"""
from __future__ import annotations

from typing import Any

_installed = False
_MODELS: list = []


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
    from moto.core.common_models import CloudFormationModel
    from moto.ec2.models import ec2_backends

    def entries_of(properties: dict) -> list[dict[str, str]]:
        return [
            {k: v for k, v in (("Cidr", e["Cidr"]), ("Description", e.get("Description"))) if v is not None}
            for e in properties.get("Entries", [])
        ]

    class CfnPrefixList(CloudFormationModel):
        def __init__(self, prefix_list: Any):
            self.prefix_list = prefix_list

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::EC2::PrefixList"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "PrefixListName"

        @property
        def physical_resource_id(self) -> str:
            return self.prefix_list.id

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr in {"PrefixListId", "Arn", "OwnerId", "Version"}

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            pl = self.prefix_list
            values = {
                "PrefixListId": pl.id,
                "Arn": pl.prefix_list_arn,
                "OwnerId": pl.owner_id,
                "Version": pl.version,
            }
            if attribute_name in values:
                return values[attribute_name]
            raise UnformattedGetAttTemplateException()

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def,override]
            p = cloudformation_json["Properties"]
            entries = entries_of(p)
            max_entries = int(p["MaxEntries"])
            if len(entries) > max_entries:
                raise ValidationError(
                    message=f"The prefix list has {len(entries)} entries, more than its maximum of {max_entries}."
                )
            tags = {t["Key"]: t["Value"] for t in p.get("Tags", [])}
            prefix_list = ec2_backends[account_id][region_name].create_managed_prefix_list(
                address_family=p["AddressFamily"],
                entry=entries,
                max_entries=str(max_entries),
                prefix_list_name=p.get("PrefixListName", resource_name),
                tags=tags,
            )
            return cls(prefix_list)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def,override]
            p = cloudformation_json["Properties"]
            pl = original_resource.prefix_list
            if p["AddressFamily"] != pl.address_family or str(p["MaxEntries"]) != str(pl.max_entries):
                original_resource.delete(account_id, region_name)
                return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
            current = pl.entries.get(pl.version, []) if pl.entries else []
            wanted = entries_of(p)
            ec2_backends[account_id][region_name].modify_managed_prefix_list(
                add_entry=[e for e in wanted if e not in current],
                remove_entry=[e for e in current if e["Cidr"] not in {w["Cidr"] for w in wanted}],
                prefix_list_id=pl.id,
                current_version=pl.version,
                prefix_list_name=p.get("PrefixListName", pl.prefix_list_name),
            )
            return original_resource

        def delete(self, account_id: str, region_name: str) -> None:
            ec2_backends[account_id][region_name].delete_managed_prefix_list(self.prefix_list.id)

    for fn in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        fn.cache_clear()
    _MODELS.append(CfnPrefixList)
    _installed = True
