"""Logs Insights query definitions and dashboards, by API and through CloudFormation
(astro_moto.logs_ext). Stock moto has no query definition operations and creates neither
resource type from a template."""
import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "222222222222"


def code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_query_definitions_are_put_described_replaced_and_deleted(account_client):
    logs = account_client("logs", ACCOUNT)
    first = logs.put_query_definition(name="ops/writes", queryString="fields @timestamp",
                                      logGroupNames=["/a", "/b"])["queryDefinitionId"]
    second = logs.put_query_definition(name="ops/refusals", queryString="filter x = 1")["queryDefinitionId"]
    logs.put_query_definition(name="other", queryString="fields @message")
    assert first != second

    described = logs.describe_query_definitions(queryDefinitionNamePrefix="ops/")["queryDefinitions"]
    by_id = {d["queryDefinitionId"]: d for d in described}
    assert set(by_id) == {first, second}
    assert by_id[first]["name"] == "ops/writes" and by_id[first]["queryString"] == "fields @timestamp"
    assert by_id[first]["logGroupNames"] == ["/a", "/b"]
    assert isinstance(by_id[first]["lastModified"], int)

    page = logs.describe_query_definitions(maxResults=2)
    assert len(page["queryDefinitions"]) == 2 and page["nextToken"]
    rest = logs.describe_query_definitions(maxResults=2, nextToken=page["nextToken"])
    assert len(rest["queryDefinitions"]) == 1 and "nextToken" not in rest

    # With its id, PutQueryDefinition replaces that definition.
    assert logs.put_query_definition(queryDefinitionId=first, name="ops/writes",
                                     queryString="fields @message")["queryDefinitionId"] == first
    (replaced,) = [d for d in logs.describe_query_definitions()["queryDefinitions"] if d["queryDefinitionId"] == first]
    assert replaced["queryString"] == "fields @message" and replaced["logGroupNames"] == []

    assert logs.delete_query_definition(queryDefinitionId=first)["success"] is True
    assert first not in {d["queryDefinitionId"] for d in logs.describe_query_definitions()["queryDefinitions"]}
    assert code(lambda: logs.delete_query_definition(queryDefinitionId=first)) == "ResourceNotFoundException"
    assert code(lambda: logs.put_query_definition(queryDefinitionId=first, name="n", queryString="q")) \
        == "ResourceNotFoundException"


def template(query: str, body: dict) -> str:
    return json.dumps({
        "Resources": {
            "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/astro/test"}},
            "Query": {
                "Type": "AWS::Logs::QueryDefinition",
                "Properties": {"Name": "astro/test", "QueryString": query,
                               "LogGroupNames": [{"Ref": "Group"}]},
            },
            "Board": {
                "Type": "AWS::CloudWatch::Dashboard",
                "Properties": {"DashboardName": "astro-test", "DashboardBody": json.dumps(body)},
            },
        },
        "Outputs": {"QueryId": {"Value": {"Ref": "Query"}},
                    "QueryIdAtt": {"Value": {"Fn::GetAtt": ["Query", "QueryDefinitionId"]}},
                    "Board": {"Value": {"Ref": "Board"}}},
    })


def test_a_stack_creates_updates_and_deletes_both(account_client):
    cfn = account_client("cloudformation", ACCOUNT)
    logs = account_client("logs", ACCOUNT)
    cw = account_client("cloudwatch", ACCOUNT)
    body = {"widgets": [{"type": "text", "properties": {"markdown": "one"}}]}
    cfn.create_stack(StackName="s", TemplateBody=template("fields @timestamp", body))
    (stack,) = cfn.describe_stacks(StackName="s")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert out["QueryId"] == out["QueryIdAtt"] and out["Board"] == "astro-test"
    (query,) = logs.describe_query_definitions()["queryDefinitions"]
    assert (query["queryDefinitionId"], query["name"], query["queryString"], query["logGroupNames"]) == \
        (out["QueryId"], "astro/test", "fields @timestamp", ["/astro/test"])
    assert json.loads(cw.get_dashboard(DashboardName="astro-test")["DashboardBody"]) == body

    body2 = {"widgets": [{"type": "text", "properties": {"markdown": "two"}}]}
    cfn.update_stack(StackName="s", TemplateBody=template("fields @message", body2))
    (query,) = logs.describe_query_definitions()["queryDefinitions"]
    assert query["queryDefinitionId"] == out["QueryId"] and query["queryString"] == "fields @message"
    assert json.loads(cw.get_dashboard(DashboardName="astro-test")["DashboardBody"]) == body2

    cfn.delete_stack(StackName="s")
    assert logs.describe_query_definitions()["queryDefinitions"] == []
    assert code(lambda: cw.get_dashboard(DashboardName="astro-test")) == "ResourceNotFound"


def test_a_dashboard_body_that_is_not_json_fails_the_stack(account_client):
    cfn = account_client("cloudformation", ACCOUNT)
    t = json.loads(template("fields @timestamp", {}))
    t["Resources"]["Board"]["Properties"]["DashboardBody"] = "{not json"
    with pytest.raises(ClientError):
        cfn.create_stack(StackName="bad", TemplateBody=json.dumps(t))
        (stack,) = cfn.describe_stacks(StackName="bad")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"  # reached only when the stack was created
