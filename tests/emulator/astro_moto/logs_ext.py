"""CloudWatch Logs Insights saved queries and CloudWatch dashboards in CloudFormation.

moto's CloudWatch Logs has no query definitions at all, and its CloudFormation creates neither
AWS::Logs::QueryDefinition nor AWS::CloudWatch::Dashboard (a stack declaring them listed empty
placeholders). This adds:

* the API (CloudWatch Logs API reference): PutQueryDefinition (name, queryString, optional
  logGroupNames, queryLanguage, queryDefinitionId; with an id, the definition of that id is
  replaced, and an unknown id is ResourceNotFoundException; returns queryDefinitionId),
  DescribeQueryDefinitions (queryDefinitionNamePrefix, maxResults 1-1000, nextToken; each definition
  with queryDefinitionId, name, queryString, lastModified in epoch milliseconds, logGroupNames,
  queryLanguage), DeleteQueryDefinition (returns success; an unknown id is
  ResourceNotFoundException). A name is 1-255 characters, a query string 1-10,000.
* AWS::Logs::QueryDefinition (resource reference): Name, QueryString, LogGroupNames,
  QueryLanguage (default CWLI); Ref and Fn::GetAtt QueryDefinitionId. Updates in place.
* AWS::CloudWatch::Dashboard: DashboardName (else <stack>-<LogicalId>-<RANDOM>), DashboardBody
  (PutDashboard, whose body must be JSON); Ref is the name. A new name replaces the dashboard.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

_installed = False
_MODELS: list = []


def _definitions(backend: Any) -> dict:
    if not hasattr(backend, "astro_query_definitions"):
        backend.astro_query_definitions = {}
    return backend.astro_query_definitions


def put_query_definition(backend: Any, name: str, query: str, groups: list | None,
                         language: str | None, definition_id: str | None) -> str:
    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException

    if not name or len(name) > 255:
        raise InvalidParameterException("name must be 1 to 255 characters")
    if not query or len(query) > 10000:
        raise InvalidParameterException("queryString must be 1 to 10000 characters")
    store = _definitions(backend)
    if definition_id is not None and definition_id not in store:
        raise ResourceNotFoundException("The specified query definition does not exist.")
    definition_id = definition_id or str(uuid.uuid4())
    store[definition_id] = {
        "queryDefinitionId": definition_id,
        "name": name,
        "queryString": query,
        "lastModified": int(time.time() * 1000),
        "logGroupNames": list(groups or []),
        "queryLanguage": language or "CWLI",
    }
    return definition_id


def delete_query_definition(backend: Any, definition_id: str) -> None:
    from moto.logs.exceptions import ResourceNotFoundException

    if _definitions(backend).pop(definition_id, None) is None:
        raise ResourceNotFoundException("The specified query definition does not exist.")


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.common_models import CloudFormationModel
    from moto.logs.exceptions import InvalidParameterException
    from moto.logs.models import logs_backends
    from moto.logs.responses import LogsResponse

    def _put_query_definition(self: Any) -> str:
        definition_id = put_query_definition(
            self.logs_backend,
            self._get_param("name"),
            self._get_param("queryString"),
            self._get_param("logGroupNames"),
            self._get_param("queryLanguage"),
            self._get_param("queryDefinitionId"),
        )
        return json.dumps({"queryDefinitionId": definition_id})

    def _describe_query_definitions(self: Any) -> str:
        prefix = self._get_param("queryDefinitionNamePrefix") or ""
        limit = self._get_param("maxResults") or 1000
        if not 1 <= int(limit) <= 1000:
            raise InvalidParameterException("maxResults must be from 1 to 1000")
        start = int(self._get_param("nextToken") or 0)
        matching = sorted(
            (d for d in _definitions(self.logs_backend).values() if d["name"].startswith(prefix)),
            key=lambda d: (d["name"], d["queryDefinitionId"]),
        )
        page = matching[start:start + int(limit)]
        out: dict = {"queryDefinitions": page}
        if start + int(limit) < len(matching):
            out["nextToken"] = str(start + int(limit))
        return json.dumps(out)

    def _delete_query_definition(self: Any) -> str:
        delete_query_definition(self.logs_backend, self._get_param("queryDefinitionId"))
        return json.dumps({"success": True})

    LogsResponse.put_query_definition = _put_query_definition
    LogsResponse.describe_query_definitions = _describe_query_definitions
    LogsResponse.delete_query_definition = _delete_query_definition

    class CfnQueryDefinition(CloudFormationModel):
        def __init__(self, definition_id: str):
            self.definition_id = definition_id

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::Logs::QueryDefinition"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @property
        def physical_resource_id(self) -> str:
            return self.definition_id

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "QueryDefinitionId"

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            if attribute_name == "QueryDefinitionId":
                return self.definition_id
            raise UnformattedGetAttTemplateException()

        @classmethod
        def _put(cls, p: dict, account_id: str, region_name: str, definition_id: str | None) -> str:
            return put_query_definition(
                logs_backends[account_id][region_name], p["Name"], p["QueryString"],
                p.get("LogGroupNames"), p.get("QueryLanguage"), definition_id,
            )

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def,override]
            return cls(cls._put(cloudformation_json["Properties"], account_id, region_name, None))

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def,override]
            cls._put(cloudformation_json["Properties"], account_id, region_name, original_resource.definition_id)
            return original_resource

        def delete(self, account_id: str, region_name: str) -> None:
            _definitions(logs_backends[account_id][region_name]).pop(self.definition_id, None)

    class CfnDashboard(CloudFormationModel):
        def __init__(self, name: str):
            self.name = name

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::Dashboard"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "DashboardName"

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def,override]
            p = cloudformation_json["Properties"]
            name = p.get("DashboardName", resource_name)
            body = p["DashboardBody"]
            try:
                json.loads(body)
            except ValueError as e:
                raise ValidationError(message=f"DashboardBody is invalid JSON: {e}")
            cloudwatch_backends[account_id][region_name].put_dashboard(name, body)
            return cls(name)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def,override]
            if "DashboardName" in cloudformation_json["Properties"] and new_resource_name != original_resource.name:
                original_resource.delete(account_id, region_name)
            else:
                new_resource_name = original_resource.name
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].dashboards.pop(self.name, None)

    for fn in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        fn.cache_clear()
    _MODELS.extend([CfnQueryDefinition, CfnDashboard])
    _installed = True
