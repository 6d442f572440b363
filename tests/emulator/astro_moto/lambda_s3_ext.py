"""Lambda extension: function code taken from S3 must be in the function's own Region.

AWS Lambda API Reference, FunctionCode.S3Bucket: "An Amazon S3 bucket in the same AWS Region as
your function. The bucket can be in a different AWS account." CreateFunction with a bucket of
another Region fails with InvalidParameterValueException "Error occurred while GetObject. S3
Error Code: PermanentRedirect. S3 Error Message: The bucket is in this region: <region>. Please
use this region to retry the request" - and so does an AWS::Lambda::Function of a stack (moto's
CloudFormation model calls the same CreateFunction). This is why a multi-Region deployment needs
one code bucket per Region.

moto (awslambda/models.py _validate_s3_bucket_and_key) looks the object up by bucket name in any
account and never compares Regions ("FIXME: does not validate bucket region").
Not modelled: the bucket policy a bucket of another account must grant (s3:GetObject).
"""
from __future__ import annotations

from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends


def patch_code_bucket_region() -> None:
    orig = LambdaBackend.create_function

    def create_function(self: LambdaBackend, spec: dict) -> Any:
        code = spec.get("Code") or {}
        if code.get("S3Bucket"):
            try:
                bucket = s3_backends[self.account_id][self.partition].get_bucket(code["S3Bucket"])
            except MissingBucket:
                bucket = None  # moto's own NoSuchBucket answer follows
            if bucket is not None and bucket.region_name != self.region_name:
                raise InvalidParameterValueException(
                    "Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error "
                    f"Message: The bucket is in this region: {bucket.region_name}. Please use this "
                    "region to retry the request"
                )
        return orig(self, spec)

    LambdaBackend.create_function = create_function


def install() -> None:
    patch_code_bucket_region()
