"""Shared fixtures for the emulator tests (EC2 and Route 53 extensions).

Fixtures:
  endpoint        session-scoped: starts ``server.py`` (moto + astro_moto
                  extensions) on a free loopback port, yields its URL
                  ("http://127.0.0.1:PORT"), kills it at the end of the session.
  reset_moto      autouse, per test: POST {endpoint}/moto-api/reset so every
                  test starts from empty backends.
  account_client  factory: ``account_client(service, account_id,
                  region="us-east-1", via="sts")`` returns a boto3 client whose
                  requests moto attributes to ``account_id``.  ``via="sts"``
                  (default) signs with credentials from STS AssumeRole into
                  arn:aws:iam::ACCOUNT:role/astro-handshake-test, as the product
                  does; ``via="header"`` sends ``x-moto-account-id: ACCOUNT``.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
DEFAULT_REGION = "us-east-1"


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url, proc, log, timeout=30.0):
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


@pytest.fixture(scope="session")
def endpoint():
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    # Account attribution must come from the request, never from the env.
    env.pop("MOTO_ACCOUNT_ID", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    log = tempfile.TemporaryFile()  # server output, shown if it fails to start
    proc = subprocess.Popen(
        [sys.executable, SERVER, "-H", "127.0.0.1", "-p", str(port)],
        cwd=HERE,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(autouse=True)
def reset_moto(endpoint):
    req = urllib.request.Request(endpoint + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass
    yield


def _base_session_kwargs():
    return dict(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def account_client(endpoint):
    cfg = Config(retries={"max_attempts": 1})

    def make(service, account_id, region=DEFAULT_REGION, via="sts"):
        if via == "header":
            client = boto3.client(
                service, region_name=region, endpoint_url=endpoint, config=cfg,
                **_base_session_kwargs(),
            )

            def add_header(request, **_):
                request.headers["x-moto-account-id"] = account_id

            client.meta.events.register("before-sign", add_header)
            return client
        if via != "sts":
            raise ValueError(f"unknown via={via!r}")
        sts = boto3.client(
            "sts", region_name=region, endpoint_url=endpoint, config=cfg,
            **_base_session_kwargs(),
        )
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/astro-handshake-test",
            RoleSessionName="astro-handshake-test",
        )["Credentials"]
        return boto3.client(
            service, region_name=region, endpoint_url=endpoint, config=cfg,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    return make
