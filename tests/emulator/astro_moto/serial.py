"""EC2 requests one at a time. moto's EC2 backend is not safe for concurrent requests: two
`CreateRoute` calls into one route table at once can fail with HTTP 500 ("dictionary changed
size during iteration" in moto's route validation). EC2 itself serves concurrent requests, so
the emulator serializes EC2 requests to answer them as EC2 would. Installed first of the
request wrappers: throttling and injected faults answer before the lock is taken.
"""
from __future__ import annotations

import threading
from typing import Any

from moto.core.responses import BaseResponse

_lock = threading.RLock()


def install() -> None:
    orig = BaseResponse._dispatch

    def _dispatch(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        if self.boto3_service_name != "ec2":
            return orig(self, request, full_url, headers)
        with _lock:
            return orig(self, request, full_url, headers)

    BaseResponse._dispatch = _dispatch
