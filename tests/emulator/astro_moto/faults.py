"""Injected faults: with ASTRO_FAULT_RATE=<0..1> and ASTRO_FAULT_ROLES=<role,role,...>, that share
of the calls signed by those assumed roles is answered with HTTP 503 ServiceUnavailable before
moto runs the operation, so a faulted call changes nothing (as when AWS sheds load). Other
callers (the tests' set-up role, the vendor) are never faulted. ASTRO_FAULT_SEED (default 0)
seeds the choice. Nothing is patched when ASTRO_FAULT_RATE is unset or 0.

The error is the service's own error shape: EC2's <Response><Errors>, the <ErrorResponse> of the
other XML protocols (Route 53, CloudFormation, IAM, STS), and {"__type"} with
x-amzn-ErrorType for JSON protocols. The SDKs treat 503 as transient and retry it.
Installed before the recorder, which logs a faulted call with status 503.
"""
from __future__ import annotations

import json
import os
import random
import threading
import uuid
from typing import Any

from moto.core.responses import BaseResponse

CODE = "ServiceUnavailable"
MESSAGE = "Injected fault: the service is unavailable. Please try again shortly."
_lock = threading.Lock()


def _role(response: Any) -> str | None:
    from moto.sts.models import sts_backends

    key = response.get_access_key()
    account = response.get_current_account()
    per_account = dict.get(sts_backends, account)
    sts = dict.get(per_account, getattr(response, "partition", "aws")) if per_account is not None else None
    assumed = sts.get_assumed_role_from_access_key(key) if sts is not None else None
    return assumed.role_arn.split("/")[-1] if assumed is not None else None


def error_response(service: str, headers: Any) -> tuple[int, dict, str]:
    request_id = str(uuid.uuid4())
    content_type = str((headers or {}).get("Content-Type", "") or (headers or {}).get("content-type", ""))
    if service == "ec2":
        body = (f"<Response><Errors><Error><Code>{CODE}</Code><Message>{MESSAGE}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>")
        return 503, {"Content-Type": "text/xml"}, body
    if "json" in content_type or service in {"ram", "lambda", "logs", "events", "sqs"}:
        body = json.dumps({"__type": CODE, "message": MESSAGE})
        return 503, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": CODE,
                     "x-amzn-RequestId": request_id}, body
    body = (f"<ErrorResponse><Error><Type>Receiver</Type><Code>{CODE}</Code><Message>{MESSAGE}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return 503, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body


def install() -> None:
    rate = float(os.environ.get("ASTRO_FAULT_RATE") or 0)
    roles = {r for r in (os.environ.get("ASTRO_FAULT_ROLES") or "").split(",") if r}
    if rate <= 0 or not roles:
        return
    rng = random.Random(int(os.environ.get("ASTRO_FAULT_SEED") or 0))
    orig = BaseResponse._dispatch

    def _dispatch(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        try:
            self.setup_class(request, full_url, headers)
            role = _role(self)
        except Exception:  # let moto answer a request it cannot parse
            role = None
        if role in roles:
            with _lock:
                fault = rng.random() < rate
            if fault:
                return error_response(self.boto3_service_name, headers)
        return orig(self, request, full_url, headers)

    BaseResponse._dispatch = _dispatch
