"""Call log: one JSON line per AWS API call the emulator serves, appended to the file named by
the environment variable ASTRO_CALL_LOG (nothing is recorded, nothing patched, when it is unset).
A server-side record of who called what, in the spirit of a CloudTrail event:

  {"account": "222222222222", "role": "astro-handshake-test", "session": "astro-handshake-test",
   "service": "ec2", "region": "us-east-1", "operation": "AcceptVpcPeeringConnection",
   "status": 200, "error": null}

* account: the account the request is attributed to (moto: the account whose IAM holds the
  request's access key; STS AssumeRole creates the key in the role's account).
* role / session: the assumed role's name and session name (CloudTrail's
  userIdentity.sessionContext.sessionIssuer.userName and the session part of the ARN); null for
  credentials that are not an assumed role.
* service: the boto3 service name; operation: the API operation name as the AWS API spells it
  (the Action parameter of query protocols, the X-Amz-Target suffix of JSON protocols, the
  operation whose HTTP method and URI match for REST protocols - the Route 53 routes added by
  route53_ext included).
* status: the HTTP status; error: the error code of a failed call (CloudTrail's errorCode).
* requestId: the request id of the answer, as AWS sends it in the x-amzn-RequestId header (and
  CloudTrail records it): moto's own when it set that header, else a fresh UUID, which is then
  added to the answer's headers. As in AWS, an XML answer's own request id element
  (<requestId> of EC2, <RequestId> of the query protocols) is the same id (moto writes a
  constant there). The SDKs read it from the header or the body, so an audit record's
  awsRequestId names the one call it reports.

Hook: moto.core.responses.BaseResponse._dispatch (parse the request, then call the operation),
which every service of the emulator goes through except S3 (its own dispatch: S3 calls are not
recorded). Calls CloudFormation makes while creating a stack's resources are not API calls in
moto (CloudTrail attributes them to cloudformation.amazonaws.com): only the CreateStack is.
"""
from __future__ import annotations

import json
import os
import re
import threading
import uuid
from typing import Any

from moto.core.responses import BaseResponse

_lock = threading.Lock()
_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_JSON_TYPE = re.compile(rb'"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"')


def _identity(response: Any) -> dict:
    from moto.sts.models import sts_backends

    key = getattr(response, "access_key", None) or response.get_access_key()
    account = getattr(response, "current_account", None) or response.get_current_account()
    who = {"account": account, "role": None, "session": None}
    per_account = dict.get(sts_backends, account)  # looked at, never created
    sts = dict.get(per_account, getattr(response, "partition", "aws")) if per_account is not None else None
    assumed = sts.get_assumed_role_from_access_key(key) if sts is not None else None
    if assumed is not None:
        who.update(role=assumed.role_arn.split("/")[-1], session=assumed.session_name)
    return who


def _error_code(status: int, body: Any) -> str | None:
    if status < 400 or not body:
        return None
    raw = body if isinstance(body, bytes) else str(body).encode()
    match = _XML_CODE.search(raw) or _JSON_TYPE.search(raw)
    return match.group(1).decode() if match else None


def _request_id(headers: Any) -> str:
    """The answer's x-amzn-RequestId, set to a fresh UUID when moto gave none."""
    for key in list(headers.keys()):
        if key.lower() in ("x-amzn-requestid", "x-amz-request-id") and headers[key]:
            return str(headers[key])
    request_id = str(uuid.uuid4())
    headers["x-amzn-RequestId"] = request_id
    return request_id


_BODY_ID = re.compile(rb"<(requestId|RequestId|RequestID)>[^<]*</(requestId|RequestId|RequestID)>")


def _with_request_id(body: Any, request_id: str) -> Any:
    """An XML body whose request id element says `request_id`."""
    if isinstance(body, str):
        return _with_request_id(body.encode(), request_id).decode()
    if not isinstance(body, bytes):
        return body
    return _BODY_ID.sub(lambda m: b"<%s>%s</%s>" % (m.group(1), request_id.encode(), m.group(1)), body, count=1)


def patch_dispatch(path: str) -> None:
    orig = BaseResponse._dispatch

    def _dispatch(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        status, body, request_id = 500, None, None
        try:
            result = orig(self, request, full_url, headers)
            status, response_headers, body = result
            request_id = _request_id(response_headers)
            body = _with_request_id(body, request_id)
            result = (status, response_headers, body)
            return result
        finally:
            try:
                operation = self._get_action()
            except Exception:  # the request could not be parsed
                operation = None
            if operation:
                try:
                    who = _identity(self)
                except Exception:
                    who = {"account": None, "role": None, "session": None}
                record = {
                    **who,
                    "service": self.boto3_service_name,
                    "region": getattr(self, "region", None),
                    "operation": operation,
                    "status": int(status),
                    "error": _error_code(int(status), body),
                    "requestId": request_id,
                }
                with _lock:
                    with open(path, "a", encoding="utf-8") as log:
                        log.write(json.dumps(record) + "\n")

    BaseResponse._dispatch = _dispatch


def install() -> None:
    path = os.environ.get("ASTRO_CALL_LOG")
    if path:
        patch_dispatch(path)
