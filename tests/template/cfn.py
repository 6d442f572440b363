"""Small, offline helpers to look at template.yaml the way CloudFormation would.

* ``load_sam()``: the SAM template as plain dicts (short-form tags expanded).
* ``transform()``: SAM -> plain CloudFormation, by tools/templates.py (aws-sam-translator with a
  fake Region/account, no AWS call: every role in the template is explicit, so no
  managed-policy lookup happens).
* ``Stack``: a parameter set applied to the transformed template: evaluates Conditions, lists
  the resources that would exist, and resolves the intrinsic functions this template uses
  (Ref, Fn::If, Fn::Join, Fn::Split, Fn::Select, Fn::Sub, Fn::GetAtt, AWS::NoValue).
  References to resources resolve to placeholders such as ``<Ref:PeerRole>`` and
  ``<GetAtt:PeerRole.Arn>``, so policies can be compared as strings.
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from tools import templates  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
STACK_NAME = "astro-handshake"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": PARTITION,
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/guid",
    "AWS::URLSuffix": "amazonaws.com",
}


class _NoValue:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<NoValue>"


NO_VALUE = _NoValue()


@lru_cache(maxsize=1)
def load_sam() -> dict:
    return templates.load_sam(TEMPLATE)


@lru_cache(maxsize=1)
def transform() -> dict:
    """tools/templates.py's transform (the one the product's tooling deploys), with placeholder
    code locations."""
    return templates.transform(TEMPLATE)


def parameter_defaults(template: dict) -> dict:
    return {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p}


REQUIRED = {
    "AstroAccountIds": "111111111111,222222222222",
    "AstroCidrs": "10.100.0.0/16,10.101.0.0/16",
    "AccepterVpcIds": "vpc-0123456789abcdef0,vpc-0fedcba9876543210",
}


class Stack:
    """The transformed template under one parameter set."""

    def __init__(self, overrides: dict | None = None, template: dict | None = None):
        self.template = template if template is not None else transform()
        self.params = {**parameter_defaults(self.template), **REQUIRED, **(overrides or {})}
        missing = set(self.template["Parameters"]) - set(self.params)
        assert not missing, f"no value for parameters {missing}"
        self._conditions: dict[str, bool] = {}

    # -- conditions ---------------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = self._eval_condition(self.template["Conditions"][name])
        return self._conditions[name]

    def _eval_condition(self, node) -> bool:
        (fn, args), = node.items()
        if fn == "Fn::Equals":
            a, b = (self.resolve(x) for x in args)
            return str(a) == str(b)
        if fn == "Fn::Not":
            return not self._eval_condition(args[0])
        if fn == "Fn::And":
            return all(self._eval_condition(a) for a in args)
        if fn == "Fn::Or":
            return any(self._eval_condition(a) for a in args)
        if fn == "Condition":
            return self.condition(args)
        raise AssertionError(f"unsupported condition function {fn}")

    # -- resources ----------------------------------------------------------------------------
    def resources(self) -> dict:
        """Logical id -> resource, for the resources that exist under these parameters."""
        return {
            lid: res
            for lid, res in self.template["Resources"].items()
            if "Condition" not in res or self.condition(res["Condition"])
        }

    def outputs(self) -> dict:
        return {
            name: out
            for name, out in self.template.get("Outputs", {}).items()
            if "Condition" not in out or self.condition(out["Condition"])
        }

    def properties(self, logical_id: str) -> dict:
        res = self.resources()[logical_id]
        return self.resolve(res.get("Properties", {}))

    # -- intrinsic functions ------------------------------------------------------------------
    def resolve(self, node):
        if isinstance(node, list):
            out = [self.resolve(x) for x in node]
            return [x for x in out if x is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition":
                return node
            if key == "Fn::If":
                cond, yes, no = arg
                return self.resolve(yes if self.condition(cond) else no)
            if key == "Fn::Join":
                delim, items = arg
                items = self.resolve(items)
                return delim.join(str(x) for x in items)
            if key == "Fn::Split":
                delim, text = arg
                text = str(self.resolve(text))
                if _is_placeholder(text):  # a resource attribute: known only at deploy time
                    return f"<Split {delim!r} of {text}>"
                return text.split(delim)
            if key == "Fn::Select":
                index, items = arg
                items, index = self.resolve(items), int(self.resolve(index))
                if isinstance(items, str) and _is_placeholder(items):
                    return f"<Select {index} of {items}>"
                return items[index]
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::GetAtt":
                target = arg if isinstance(arg, list) else arg.split(".", 1)
                return f"<GetAtt:{target[0]}.{target[1]}>"
        out = {}
        for k, v in node.items():
            r = self.resolve(v)
            if r is not NO_VALUE:
                out[k] = r
        return out

    def _ref(self, name: str):
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.params:
            return self.params[name]
        assert name in self.template["Resources"], f"Ref to unknown {name}"
        return f"<Ref:{name}>"

    def _sub(self, arg):
        if isinstance(arg, str):
            text, variables = arg, {}
        else:
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}

        def repl(m: re.Match) -> str:
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name:
                res, att = name.split(".", 1)
                return f"<GetAtt:{res}.{att}>"
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", repl, text)


def _is_placeholder(value: str) -> bool:
    return value.startswith("<") and value.endswith(">")


def refs_in(node) -> set[str]:
    """Every name referenced by Ref, Fn::Sub (${Name}), Fn::GetAtt or Condition in ``node``."""
    found: set[str] = set()

    def walk(n):
        if isinstance(n, list):
            for x in n:
                walk(x)
        elif isinstance(n, dict):
            for k, v in n.items():
                if k == "Ref" and isinstance(v, str):
                    found.add(v)
                elif k == "Fn::Sub":
                    text = v if isinstance(v, str) else v[0]
                    local = set() if isinstance(v, str) else set(v[1])
                    for name in re.findall(r"\$\{([^}!][^}]*)\}", text):
                        name = name.split(".", 1)[0]
                        if name not in local:
                            found.add(name)
                    walk(v if isinstance(v, str) else v[1])
                elif k == "Fn::GetAtt":
                    target = v if isinstance(v, list) else v.split(".", 1)
                    found.add(target[0])
                else:
                    walk(v)

    walk(node)
    return found


def screaming_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def statements(policy_document: dict) -> list[dict]:
    st = policy_document["Statement"]
    return st if isinstance(st, list) else [st]


def actions_of(statement: dict) -> list[str]:
    a = statement.get("Action", [])
    return a if isinstance(a, list) else [a]


def resources_of(statement: dict) -> list[str]:
    r = statement.get("Resource", [])
    return r if isinstance(r, list) else [r]
