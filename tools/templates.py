"""astro-handshake templates and code packages, built offline (no AWS call).

Functions (import this file as a module, e.g. with tools/ on sys.path):
  transform(template, code)   template.yaml after the SAM transform (aws-sam-translator), as
                              plain CloudFormation. ``code`` maps each function's logical id to
                              (bucket, key): as `sam package` does, its CodeUri becomes
                              s3://bucket/key before the transform (default: a placeholder
                              s3://packaged-code/<LogicalId>.zip). The translator gets a fake
                              Region and account only; the output keeps ${AWS::Region} /
                              ${AWS::AccountId} intrinsics, so it deploys anywhere.
  deployable(code_bucket, code_prefix="")
                              transform() with each function's code at
                              s3://<code_bucket>/<code_prefix><binary>.zip.
  stackset(code_keys)         the template for a CloudFormation StackSet with service-managed
                              permissions (StackSets refuse templates with transforms):
                              transform() plus the CodeBucketPrefix parameter, each function's
                              code in the bucket <CodeBucketPrefix>-<Region> at
                              code_keys[binary], and CreatePeerRole fixed to "false".
  zip_bootstrap(path)         a deterministic zip of a `bootstrap` executable.
  binaries()                  function logical id -> binary (Metadata.BuildProperties.Binary).

Command line (the venv's python):
  python tools/templates.py deployable --code-bucket B [--code-prefix P]
      prints deployable(B, P) as JSON.
  python tools/templates.py package --build-dir .aws-sam/build --out-dir dist
      zips .aws-sam/build/<LogicalId>/bootstrap into dist/functions/<binary>.zip.
  python tools/templates.py stackset --build-dir .aws-sam/build --out-dir dist/stackset
      writes dist/stackset/code/astro-handshake/<hash>/<binary>.zip and
      dist/stackset/template.json, and prints what to upload where.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import os
import sys
import zipfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"

# What the translator is told; nothing of it may reach the output (tests/template checks).
TRANSLATOR_REGION = "xx-fake-1"
TRANSLATOR_ACCOUNT = "000011112222"
PLACEHOLDER_BUCKET = "packaged-code"

# CreateStack / CreateStackSet take at most this many bytes inline (TemplateBody); a larger
# template goes through S3 (TemplateURL, up to 1 MB).
TEMPLATE_BODY_MAX_BYTES = 51_200

CODE_KEY_PREFIX = "astro-handshake"
STACKSET_DESCRIPTION = (
    "astro-handshake, StackSet edition: finishes the customer side of Astro network handshakes "
    "(VPC peering, Transit Gateway + RAM, Route 53 private hosted zones, your VPC endpoint "
    "services, Remote Execution PrivateLink) in every account and Region of a service-managed StackSet. Function code comes "
    "from the bucket <CodeBucketPrefix>-<Region>. No temporary PeerRole: deploy that with the "
    "account's own `sam deploy`."
)
CREATE_PEER_ROLE_STACKSET_DESCRIPTION = (
    "Always false in the StackSet edition. The Astro Hybrid PeerRole is a one-off for one "
    "account, has a fixed name (<stack name>-astro-peer-role, and a StackSet instance's stack "
    "name, StackSet-<name>-<uuid>, is too long for it) and is removed by the peer-role function "
    "updating its own stack, which a stack of a StackSet instance must not do (the StackSet would "
    "put it back or drift). Deploy the PeerRole with the account's own `sam deploy`."
)
CODE_BUCKET_PREFIX_PARAMETER = {
    "Type": "String",
    "Description": (
        "Prefix of the Lambda code buckets: the functions of a stack in Region R take their code "
        "from the S3 bucket <CodeBucketPrefix>-R (Lambda requires the code bucket in the "
        "function's own Region). Each bucket's policy must let the organization read the code "
        "(s3:GetObject with the aws:PrincipalOrgID condition)."
    ),
    # <prefix>-<region> must be a valid bucket name (3-63 lower-case letters, digits, hyphens;
    # the longest Region names have 14 characters).
    "AllowedPattern": "^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$",
    "ConstraintDescription": "1 to 48 lower-case letters, digits or hyphens, starting and ending with a letter or digit",
}
CODE_BUCKET_PREFIX_GROUP = {
    "Label": {"default": "Lambda code (StackSet)"},
    "Parameters": ["CodeBucketPrefix"],
}
CODE_BUCKET_PREFIX_LABEL = {"default": "Code bucket name prefix (bucket PREFIX-REGION in each Region)"}

# ELF e_machine of aarch64 (the functions run on arm64).
EM_AARCH64 = 183
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """A build output that cannot be packaged (missing, or not an aarch64 executable)."""


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------
def load_sam(template: Path | str = TEMPLATE) -> dict:
    """The SAM template as plain dicts (short-form tags such as !Ref expanded); a fresh copy."""
    path = Path(template).resolve()
    return copy.deepcopy(_load_sam(str(path), path.stat().st_mtime_ns))


@lru_cache(maxsize=4)
def _load_sam(path: str, _mtime_ns: int) -> dict:
    from cfnlint.decode import cfn_yaml

    # cfn-lint's loader expands !Ref/!Sub/...; the JSON round trip turns its node classes into
    # plain dicts, lists and strings.
    return json.loads(json.dumps(cfn_yaml.load(path)))


def binaries(template: Path | str = TEMPLATE) -> dict:
    """Logical id -> binary name (Metadata.BuildProperties.Binary) of each function."""
    return {
        lid: res["Metadata"]["BuildProperties"]["Binary"]
        for lid, res in load_sam(template)["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }


class _NoManagedPolicies:
    """Managed policy names would need an IAM lookup; every role of the template is explicit."""

    def load(self) -> dict:
        return {}


@contextmanager
def _translator_region(region: str):
    """The translator asks boto3 for a Region (and would read a profile); give it the fake one
    for the duration of the transform only."""
    from samtranslator.translator.arn_generator import ArnGenerator

    saved = {k: os.environ.get(k) for k in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE")}
    saved_arn_region = ArnGenerator.BOTO_SESSION_REGION_NAME
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ["AWS_REGION"] = region
    os.environ.pop("AWS_PROFILE", None)
    ArnGenerator.BOTO_SESSION_REGION_NAME = region
    try:
        yield
    finally:
        ArnGenerator.BOTO_SESSION_REGION_NAME = saved_arn_region
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def transform(template: Path | str = TEMPLATE, code: dict | None = None, *,
              region: str = TRANSLATOR_REGION, account: str = TRANSLATOR_ACCOUNT) -> dict:
    """The SAM template after the SAM transform. ``code``: logical id -> (bucket, key) of each
    function's code (every function must be there); None: placeholders."""
    from samtranslator.translator.transform import transform as sam_transform

    sam = load_sam(template)
    functions = [lid for lid, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    if code is not None:
        missing = sorted(set(functions) - set(code))
        if missing:
            raise KeyError(f"no code location for {', '.join(missing)}")
    for lid in functions:
        bucket, key = code[lid] if code is not None else (PLACEHOLDER_BUCKET, f"{lid}.zip")
        # What `sam package` does: the local CodeUri becomes the uploaded object.
        sam["Resources"][lid]["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"
    params = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws"}
    with _translator_region(region):
        return sam_transform(sam, params, _NoManagedPolicies())


def deployable(code_bucket: str, code_prefix: str = "", template: Path | str = TEMPLATE) -> dict:
    """transform() with each function's code at s3://<code_bucket>/<code_prefix><binary>.zip."""
    code = {lid: (code_bucket, f"{code_prefix}{binary}.zip") for lid, binary in binaries(template).items()}
    return transform(template, code)


def stackset(code_keys: dict, template: Path | str = TEMPLATE) -> dict:
    """The transform-free template for a service-managed StackSet. ``code_keys``: binary ->
    S3 key of its zip, the same key in every Region's bucket <CodeBucketPrefix>-<Region>."""
    by_function = binaries(template)
    missing = sorted(set(by_function.values()) - set(code_keys))
    if missing:
        raise KeyError(f"no code key for {', '.join(missing)}")
    t = transform(template)
    t["Description"] = STACKSET_DESCRIPTION

    params = t["Parameters"]
    params["CodeBucketPrefix"] = dict(CODE_BUCKET_PREFIX_PARAMETER)
    peer_role = params["CreatePeerRole"]
    peer_role["AllowedValues"] = ["false"]
    peer_role["Default"] = "false"
    peer_role["Description"] = CREATE_PEER_ROLE_STACKSET_DESCRIPTION

    iface = t["Metadata"]["AWS::CloudFormation::Interface"]
    iface["ParameterGroups"].append(copy.deepcopy(CODE_BUCKET_PREFIX_GROUP))
    iface["ParameterLabels"]["CodeBucketPrefix"] = dict(CODE_BUCKET_PREFIX_LABEL)

    for lid, binary in by_function.items():
        fn = t["Resources"][lid]
        assert fn["Type"] == "AWS::Lambda::Function", (lid, fn["Type"])
        fn["Properties"]["Code"] = {
            "S3Bucket": {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"},
            "S3Key": code_keys[binary],
        }
    return t


# --------------------------------------------------------------------------------------------
# Code packages
# --------------------------------------------------------------------------------------------
def zip_bootstrap(path: Path | str) -> bytes:
    """A zip holding one entry, ``bootstrap`` (mode 0755, 1980-01-01 00:00:00, deflate level
    9): the same binary always gives the same bytes, hence the same content-addressed key."""
    data = Path(path).read_bytes()
    info = zipfile.ZipInfo("bootstrap", date_time=ZIP_DATE_TIME)
    info.create_system = 3  # Unix: Lambda reads the mode from the external attributes
    info.external_attr = 0o100755 << 16  # regular file, rwxr-xr-x
    info.compress_type = zipfile.ZIP_DEFLATED
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def check_aarch64_elf(path: Path) -> None:
    """Raise PackageError unless ``path`` is an ELF executable for aarch64 (e_machine 183)."""
    if not path.is_file():
        raise PackageError(f"{path}: missing (run `sam build` first)")
    header = path.read_bytes()[:20]
    if len(header) < 20 or header[:4] != b"\x7fELF":
        raise PackageError(f"{path}: not an ELF executable")
    byteorder = {1: "little", 2: "big"}.get(header[5])
    if byteorder is None:
        raise PackageError(f"{path}: ELF header with an invalid byte order ({header[5]})")
    machine = int.from_bytes(header[18:20], byteorder)
    if machine != EM_AARCH64:
        raise PackageError(
            f"{path}: ELF for machine {machine}, not aarch64 ({EM_AARCH64}); the functions run on arm64"
        )


def build_zips(build_dir: Path | str, template: Path | str = TEMPLATE) -> list:
    """[(logical id, binary, bootstrap size, zip bytes)] for every function of the template,
    from <build_dir>/<LogicalId>/bootstrap; every bootstrap is checked first."""
    build_dir = Path(build_dir)
    functions = binaries(template)
    paths = {lid: build_dir / lid / "bootstrap" for lid in functions}
    for path in paths.values():
        check_aarch64_elf(path)
    return [(lid, binary, paths[lid].stat().st_size, zip_bootstrap(paths[lid])) for lid, binary in functions.items()]


def code_key(binary: str, zipped: bytes) -> str:
    """astro-handshake/<first 16 hex digits of the zip's SHA-256>/<binary>.zip"""
    return f"{CODE_KEY_PREFIX}/{hashlib.sha256(zipped).hexdigest()[:16]}/{binary}.zip"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.2f}"


def _table(rows: list) -> str:
    header = ("function", "binary", "bootstrap MB", "zip MB")
    lines = [header] + [(lid, binary, _mb(size), _mb(len(z))) for lid, binary, size, z in rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)


def package(build_dir: Path | str, out_dir: Path | str, template: Path | str = TEMPLATE) -> list:
    """Writes <out_dir>/functions/<binary>.zip for each function; returns build_zips()."""
    rows = build_zips(build_dir, template)
    target = Path(out_dir) / "functions"
    target.mkdir(parents=True, exist_ok=True)
    for _lid, binary, _size, zipped in rows:
        (target / f"{binary}.zip").write_bytes(zipped)
    return rows


def package_stackset(build_dir: Path | str, out_dir: Path | str, template: Path | str = TEMPLATE) -> dict:
    """Writes <out_dir>/code/<code_key> for each function and <out_dir>/template.json (the
    stackset() template with those keys); returns {"rows", "keys", "template"}."""
    rows = build_zips(build_dir, template)
    out_dir = Path(out_dir)
    keys = {}
    for _lid, binary, _size, zipped in rows:
        key = code_key(binary, zipped)
        keys[binary] = key
        path = out_dir / "code" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(zipped)
    t = stackset(keys, template)
    template_path = out_dir / "template.json"
    template_path.write_text(json.dumps(t, indent=1) + "\n")
    return {"rows": rows, "keys": keys, "template": template_path}


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------
def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/templates.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("deployable", help="print the deployable template (JSON) on stdout")
    p.add_argument("--code-bucket", required=True)
    p.add_argument("--code-prefix", default="")
    p = sub.add_parser("package", help="zip each function's bootstrap into OUT/functions/<binary>.zip")
    p.add_argument("--build-dir", default=".aws-sam/build")
    p.add_argument("--out-dir", default="dist")
    p = sub.add_parser("stackset", help="code zips and template for a service-managed StackSet")
    p.add_argument("--build-dir", default=".aws-sam/build")
    p.add_argument("--out-dir", default="dist/stackset")
    args = parser.parse_args(argv)

    try:
        if args.command == "deployable":
            json.dump(deployable(args.code_bucket, args.code_prefix), sys.stdout, indent=2)
            sys.stdout.write("\n")
        elif args.command == "package":
            rows = package(args.build_dir, args.out_dir)
            print(_table(rows))
            print(f"\nwritten: {Path(args.out_dir) / 'functions'}/<binary>.zip")
        else:
            result = package_stackset(args.build_dir, args.out_dir)
            print(_table(result["rows"]))
            code_dir = Path(args.out_dir) / "code"
            size = result["template"].stat().st_size
            print(
                f"\nUpload, to the bucket <CodeBucketPrefix>-<Region> of every Region the StackSet deploys to:\n"
                f"  aws s3 cp {code_dir}/ s3://<CodeBucketPrefix>-<Region>/ --recursive --region <Region>"
            )
            for binary, key in result["keys"].items():
                print(f"    {code_dir / key}  ->  s3://<CodeBucketPrefix>-<Region>/{key}")
            print(f"\nTemplate: {result['template']} ({size} bytes)")
            if size > TEMPLATE_BODY_MAX_BYTES:
                print(
                    f"  more than the {TEMPLATE_BODY_MAX_BYTES} bytes CreateStackSet takes inline: upload it to S3\n"
                    f"  (aws s3 cp {result['template']} s3://<bucket>/astro-handshake/template.json) and pass\n"
                    f"  --template-url https://<bucket>.s3.amazonaws.com/astro-handshake/template.json"
                )
    except (PackageError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
