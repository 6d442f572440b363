"""EC2 request throttling: with ASTRO_EC2_THROTTLE=1, EC2 calls are rate limited as AWS documents
it ("Request throttling for the Amazon EC2 API"): a token bucket per account, Region and API
action; a non-mutating action's (Describe*, Get*, List*, Search*) holds 100 tokens and refills
at 20 per second, a mutating action's holds 50 and refills at 5 per second. A call that finds
its bucket empty is answered `RequestLimitExceeded` ("Request limit exceeded."), EC2's XML
error with HTTP 503, before moto acts: it changes nothing. Other services are not limited.
With ASTRO_EC2_THROTTLE_ROLES=<role,role,...>, only the calls signed by those assumed roles
take tokens and can be throttled: a benchmark's set-up neither waits nor spends the measured
function's tokens. Installed before the recorder, which logs each throttled call.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

from moto.core.responses import BaseResponse

NON_MUTATING = ("Describe", "Get", "List", "Search")
LIMITS = {"non-mutating": (100, 20.0), "mutating": (50, 5.0)}
_lock = threading.Lock()


class Bucket:
    def __init__(self, capacity: int, refill_per_second: float):
        self.capacity, self.rate = capacity, refill_per_second
        self.tokens, self.at = float(capacity), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


_buckets: dict[tuple, Bucket] = {}


def category(action: str) -> str:
    return "non-mutating" if action.startswith(NON_MUTATING) else "mutating"


def allowed(account: str, region: str, action: str) -> bool:
    key = (account, region, action)
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = _buckets[key] = Bucket(*LIMITS[category(action)])
        return bucket.take()


def reset() -> None:
    with _lock:
        _buckets.clear()


def throttled() -> tuple[int, dict, str]:
    request_id = str(uuid.uuid4())
    body = ("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
            f"</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>")
    return 503, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body


def install() -> None:
    if os.environ.get("ASTRO_EC2_THROTTLE") != "1":
        return
    orig = BaseResponse._dispatch
    roles = {r for r in (os.environ.get("ASTRO_EC2_THROTTLE_ROLES") or "").split(",") if r}

    def _dispatch(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        if self.boto3_service_name == "ec2":
            try:
                self.setup_class(request, full_url, headers)
                action = self._get_action()
                account = self.get_current_account()
                region = self.region
                if roles:
                    from .faults import _role

                    action = action if _role(self) in roles else None
            except Exception:  # let moto answer a request it cannot parse
                action = None
            if action and not allowed(account, region, action):
                return throttled()
        return orig(self, request, full_url, headers)

    BaseResponse._dispatch = _dispatch
