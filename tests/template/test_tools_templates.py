"""tools/templates.py: the transform (offline, nothing of the translator's fake Region/account in
the output), the deployable and StackSet templates, deterministic code zips and the CLI.

Run: python3 -m pytest -q tests/template
"""
from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from cfn import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from tools import templates  # noqa: E402

TOOL = REPO / "tools" / "templates.py"
BINARIES = {"PeeringFunction": "peering", "TransitGatewayFunction": "transit-gateway",
            "ZonesFunction": "zones", "PeerRoleFunction": "peer-role",
            "EndpointServicesFunction": "endpoint-services"}
REGION_NAME = re.compile(r"\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn)-(?:gov-)?[a-z]+-\d\b")
ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


def run_tool(*args, cwd=REPO):
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, cwd=cwd)


def functions(template: dict) -> dict:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}


def elf(machine: int, size: int = 4096) -> bytes:
    """An ELF64 little-endian header for ``machine`` (183 = aarch64, 62 = x86-64), padded."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return (ident + (2).to_bytes(2, "little") + machine.to_bytes(2, "little")).ljust(size, b"\0")


@pytest.fixture
def build_dir(tmp_path):
    """What `sam build` leaves: .aws-sam/build/<LogicalId>/bootstrap, aarch64 executables."""
    build = tmp_path / ".aws-sam" / "build"
    for i, lid in enumerate(BINARIES):
        (build / lid).mkdir(parents=True)
        (build / lid / "bootstrap").write_bytes(elf(183, size=300_000 + i * 1000))
    return build


# --------------------------------------------------------------------------------------------
# transform
# --------------------------------------------------------------------------------------------
def test_binaries_are_the_build_properties():
    assert templates.binaries() == BINARIES


def test_transform_bakes_in_no_region_or_account():
    t = templates.transform()
    text = json.dumps(t)
    assert templates.TRANSLATOR_REGION not in text and templates.TRANSLATOR_ACCOUNT not in text
    assert not REGION_NAME.findall(text), REGION_NAME.findall(text)
    assert not ACCOUNT_ID.findall(text), ACCOUNT_ID.findall(text)
    assert "${AWS::Region}" in text and "${AWS::AccountId}" in text
    # Whatever the translator is told, the output is the same.
    assert templates.transform(region="eu-west-1", account="123456789012") == t


def test_transform_places_the_code_where_it_is_told():
    code = {lid: ("bucket", f"key/{lid}.zip") for lid in BINARIES}
    t = templates.transform(code=code)
    assert {lid: f["Properties"]["Code"] for lid, f in functions(t).items()} == {
        lid: {"S3Bucket": "bucket", "S3Key": f"key/{lid}.zip"} for lid in BINARIES}
    with pytest.raises(KeyError, match="PeerRoleFunction"):
        templates.transform(code={k: v for k, v in code.items() if k != "PeerRoleFunction"})


def test_deployable_and_its_cli():
    t = templates.deployable("my-bucket", "release/")
    assert {lid: f["Properties"]["Code"] for lid, f in functions(t).items()} == {
        lid: {"S3Bucket": "my-bucket", "S3Key": f"release/{binary}.zip"} for lid, binary in BINARIES.items()}
    placeholder = templates.transform()
    for lid in BINARIES:
        placeholder["Resources"][lid]["Properties"]["Code"] = t["Resources"][lid]["Properties"]["Code"]
    assert t == placeholder, "deployable differs from the transform by more than the code location"

    proc = run_tool("deployable", "--code-bucket", "my-bucket", "--code-prefix", "release/")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == t
    assert json.loads(run_tool("deployable", "--code-bucket", "b").stdout)["Resources"]["PeeringFunction"][
        "Properties"]["Code"] == {"S3Bucket": "b", "S3Key": "peering.zip"}


# --------------------------------------------------------------------------------------------
# stackset
# --------------------------------------------------------------------------------------------
KEYS = {binary: f"astro-handshake/0123456789abcdef/{binary}.zip" for binary in BINARIES.values()}


def test_stackset_template_differs_only_where_it_must():
    t = templates.stackset(KEYS)
    base = templates.transform()
    assert "Transform" not in t
    assert not [r["Type"] for r in t["Resources"].values() if r["Type"].startswith("AWS::Serverless::")]
    assert "StackSet edition" in t["Description"]

    for lid, binary in BINARIES.items():
        assert t["Resources"][lid]["Properties"]["Code"] == {
            "S3Bucket": {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"}, "S3Key": KEYS[binary]}
    prefix = t["Parameters"]["CodeBucketPrefix"]
    assert prefix["Type"] == "String" and "Region" in prefix["Description"]
    peer_role = t["Parameters"]["CreatePeerRole"]
    assert peer_role["AllowedValues"] == ["false"] and peer_role["Default"] == "false"
    for reason in ("fixed name", "updating its own stack", "sam deploy"):
        assert reason in peer_role["Description"], reason
    iface = t["Metadata"]["AWS::CloudFormation::Interface"]
    assert [g["Parameters"] for g in iface["ParameterGroups"] if "CodeBucketPrefix" in g["Parameters"]] == [
        ["CodeBucketPrefix"]]
    assert iface["ParameterLabels"]["CodeBucketPrefix"]["default"]

    # Everything else is the transform's.
    undone = copy.deepcopy(t)
    undone["Description"] = base["Description"]
    del undone["Parameters"]["CodeBucketPrefix"]
    undone["Parameters"]["CreatePeerRole"] = base["Parameters"]["CreatePeerRole"]
    undone["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"].pop()
    del undone["Metadata"]["AWS::CloudFormation::Interface"]["ParameterLabels"]["CodeBucketPrefix"]
    for lid in BINARIES:
        undone["Resources"][lid]["Properties"]["Code"] = base["Resources"][lid]["Properties"]["Code"]
    assert undone == base

    with pytest.raises(KeyError, match="zones"):
        templates.stackset({k: v for k, v in KEYS.items() if k != "zones"})


@pytest.mark.parametrize("prefix, valid", [
    ("astro-handshake-code", True), ("a", True), ("acme-123", True), ("x" * 48, True), ("x" * 49, False),
    ("Astro", False), ("-astro", False), ("astro-", False), ("astro_code", False), ("astro.code", False), ("", False),
])
def test_code_bucket_prefix_gives_valid_bucket_names(prefix, valid):
    pattern = templates.stackset(KEYS)["Parameters"]["CodeBucketPrefix"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, prefix)) is valid
    if valid:  # the longest Region names have 14 characters
        bucket = f"{prefix}-ap-southeast-4"
        assert 3 <= len(bucket) <= 63 and re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", bucket)


def test_every_stackset_parameter_is_documented_grouped_and_validated():
    t = templates.stackset(KEYS)
    iface = t["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [p for g in iface["ParameterGroups"] for p in g["Parameters"]]
    assert sorted(grouped) == sorted(t["Parameters"])
    for name, p in t["Parameters"].items():
        assert p.get("Description") and name in iface["ParameterLabels"], name
        if p["Type"] == "String":
            assert "AllowedPattern" in p or "AllowedValues" in p, name


@pytest.mark.parametrize("which", ["deployable", "stackset"])
def test_generated_templates_pass_cfn_lint(which, tmp_path):
    t = templates.deployable("my-bucket") if which == "deployable" else templates.stackset(KEYS)
    path = tmp_path / f"{which}.json"
    path.write_text(json.dumps(t))
    exe = shutil.which("cfn-lint")
    cmd = [exe] if exe else [sys.executable, "-m", "cfnlint"]
    proc = subprocess.run([*cmd, str(path)], capture_output=True, text=True)
    # cfn-lint exit code is a bit mask: 2 = error, 4 = warning, 8 = informational; 1/32 = fatal.
    assert proc.returncode & (1 | 2 | 32) == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------------
# Code zips and the package / stackset commands
# --------------------------------------------------------------------------------------------
def test_zip_bootstrap_is_deterministic(tmp_path):
    path = tmp_path / "bootstrap"
    path.write_bytes(elf(183))
    first = templates.zip_bootstrap(path)
    path.touch()  # a later build of the same binary
    assert templates.zip_bootstrap(path) == first
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        (info,) = zf.infolist()
        assert info.filename == "bootstrap"
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert (info.external_attr >> 16) & 0o777 == 0o755
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert zf.read("bootstrap") == elf(183)
    path.write_bytes(elf(183) + b"changed")
    assert templates.zip_bootstrap(path) != first


def test_package_command(build_dir, tmp_path):
    out = tmp_path / "dist"
    proc = run_tool("package", "--build-dir", str(build_dir), "--out-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    for lid, binary in BINARIES.items():
        zipped = (out / "functions" / f"{binary}.zip").read_bytes()
        assert zipped == templates.zip_bootstrap(build_dir / lid / "bootstrap")
        size = (build_dir / lid / "bootstrap").stat().st_size
        (row,) = [line.split() for line in proc.stdout.splitlines() if line.startswith(lid + " ")]
        assert row == [lid, binary, f"{size / 1e6:.2f}", f"{len(zipped) / 1e6:.2f}"]
    assert proc.stdout.splitlines()[0].split() == ["function", "binary", "bootstrap", "MB", "zip", "MB"]


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.unlink(), "missing"),
    (lambda p: p.write_bytes(elf(62)), "not aarch64"),
    (lambda p: p.write_bytes(b"#!/bin/sh\necho hi\n"), "not an ELF"),
], ids=["missing", "x86-64", "script"])
def test_package_refuses_what_lambda_arm64_cannot_run(build_dir, tmp_path, damage, message):
    damage(build_dir / "ZonesFunction" / "bootstrap")
    for command in ("package", "stackset"):
        out = tmp_path / command
        proc = run_tool(command, "--build-dir", str(build_dir), "--out-dir", str(out))
        assert proc.returncode == 1
        assert "ZonesFunction/bootstrap" in proc.stderr and message in proc.stderr, proc.stderr
        assert not out.exists(), "nothing is written when a bootstrap is wrong"


def test_stackset_command(build_dir, tmp_path):
    out = tmp_path / "dist" / "stackset"
    proc = run_tool("stackset", "--build-dir", str(build_dir), "--out-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    keys = {}
    for lid, binary in BINARIES.items():
        zipped = templates.zip_bootstrap(build_dir / lid / "bootstrap")
        key = f"astro-handshake/{hashlib.sha256(zipped).hexdigest()[:16]}/{binary}.zip"
        assert (out / "code" / key).read_bytes() == zipped
        assert f"s3://<CodeBucketPrefix>-<Region>/{key}" in proc.stdout
        keys[binary] = key
    assert json.loads((out / "template.json").read_text()) == templates.stackset(keys)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == sorted(
        ["template.json"] + [f"code/{k}" for k in keys.values()])
    assert "--template-url" in proc.stdout  # the template is over the 51,200 bytes of TemplateBody

    again = tmp_path / "again"
    assert run_tool("stackset", "--build-dir", str(build_dir), "--out-dir", str(again)).returncode == 0
    assert (again / "template.json").read_text() == (out / "template.json").read_text(), "same build, same keys"
