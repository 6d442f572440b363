"""Lambda extension (astro_moto/lambda_s3_ext.py): function code from S3 must come from a bucket
in the function's own Region (it may belong to another account).

Fixtures `endpoint`, `account_client` and the per-test reset come from conftest.py.
"""
import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

CODE_OWNER = "999999999999"
FUNCTION_OWNER = "222222222222"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def code_buckets(account_client):
    """code-us-east-1 and code-eu-west-1 of the code owner, each holding fn.zip."""
    for region in ("us-east-1", "eu-west-1"):
        s3 = account_client("s3", CODE_OWNER, region=region)
        config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=f"code-{region}", **config)
        s3.put_object(Bucket=f"code-{region}", Key="fn.zip", Body=_zip())


def _zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("bootstrap", "#!/bin/sh\n")
    return buf.getvalue()


def create_function(account_client, region, bucket):
    role = account_client("iam", FUNCTION_OWNER).create_role(
        RoleName=f"fn-{region}-{bucket}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    return account_client("lambda", FUNCTION_OWNER, region=region).create_function(
        FunctionName="handshake", Runtime="provided.al2023", Handler="bootstrap", Role=role,
        Code={"S3Bucket": bucket, "S3Key": "fn.zip"})


def test_the_code_bucket_must_be_in_the_function_region(account_client, code_buckets):
    with pytest.raises(ClientError) as e:
        create_function(account_client, "eu-west-1", "code-us-east-1")
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidParameterValueException"
    assert err["Message"] == (
        "Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The bucket is in "
        "this region: us-east-1. Please use this region to retry the request")
    assert account_client("lambda", FUNCTION_OWNER, region="eu-west-1").list_functions()["Functions"] == []

    # The bucket of the function's Region works, though it belongs to another account.
    for region in ("eu-west-1", "us-east-1"):
        created = create_function(account_client, region, f"code-{region}")
        assert created["FunctionArn"].split(":")[3:5] == [region, FUNCTION_OWNER]
