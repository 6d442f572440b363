"""The emulator for Python tests: moto's server with the astro_moto extensions, and boto3
clients attributed to an account. Shared by tests/emulator and tests/deploy (their conftest.py
import the fixtures below).

Functions:
  start_server(env=None)   starts ``server.py`` on a free loopback port; returns a Server
                           (``.url``, ``.stop()``); ``env`` adds environment variables (for
                           example ASTRO_CALL_LOG).
  reset(url)               POST {url}/moto-api/reset: every backend empty again.
  client(url, service, account_id, region="us-east-1", via="sts", role=ROLE)
                           a boto3 client whose requests moto attributes to ``account_id``:
                           ``via="sts"`` signs with credentials from STS AssumeRole into
                           arn:aws:iam::ACCOUNT:role/<role> (session name = role name), as
                           the product does; ``via="header"`` sends ``x-moto-account-id``.

Fixtures:
  endpoint        session-scoped: one server for the session, its URL.
  reset_moto      autouse, per test: reset(endpoint), so every test starts from empty backends.
  account_client  ``account_client(service, account_id, region="us-east-1", via="sts",
                  role=ROLE)`` = client(endpoint, ...).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from typing import Callable

import boto3
import pytest
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
DEFAULT_REGION = "us-east-1"
ROLE = "astro-handshake-test"
_CONFIG = Config(retries={"max_attempts": 1})


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"emulator exited early with code {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"emulator did not answer on {url} within {timeout}s")


@dataclass
class Server:
    url: str
    stop: Callable[[], None]


def start_server(env: dict | None = None) -> Server:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = dict(os.environ)
    # Account attribution must come from the request, never from the env.
    full_env.pop("MOTO_ACCOUNT_ID", None)
    full_env.pop("ASTRO_CALL_LOG", None)
    full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    full_env.update(env or {})
    log = tempfile.TemporaryFile()  # server output, shown if it fails to start
    proc = subprocess.Popen(
        [sys.executable, SERVER, "-H", "127.0.0.1", "-p", str(port)],
        cwd=HERE,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

    try:
        _wait_until_up(url, proc, log)
    except BaseException:
        stop()
        raise
    return Server(url, stop)


def reset(url: str) -> None:
    req = urllib.request.Request(url + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass


def client(url: str, service: str, account_id: str, region: str = DEFAULT_REGION,
           via: str = "sts", role: str = ROLE):
    testing = dict(aws_access_key_id="testing", aws_secret_access_key="testing")
    if via == "header":
        c = boto3.client(service, region_name=region, endpoint_url=url, config=_CONFIG, **testing)

        def add_header(request, **_):
            request.headers["x-moto-account-id"] = account_id

        c.meta.events.register("before-sign", add_header)
        return c
    if via != "sts":
        raise ValueError(f"unknown via={via!r}")
    sts = boto3.client("sts", region_name=region, endpoint_url=url, config=_CONFIG, **testing)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName=role,
    )["Credentials"]
    return boto3.client(
        service, region_name=region, endpoint_url=url, config=_CONFIG,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture(scope="session")
def endpoint():
    server = start_server()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def reset_moto(endpoint):
    reset(endpoint)
    yield


@pytest.fixture
def account_client(endpoint):
    def make(service, account_id, region=DEFAULT_REGION, via="sts", role=ROLE):
        return client(endpoint, service, account_id, region=region, via=via, role=role)

    return make
