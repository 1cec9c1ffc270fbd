"""Reading template.yaml for the template tests.

The template is parsed with a YAML loader that turns CloudFormation short tags (!Ref, !Sub,
!If ...) into their long form, and a small evaluator resolves the intrinsic functions the
template uses, so that properties can be checked for concrete parameter values.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
SAMCONFIG_PATH = ROOT / "samconfig.toml"
EVENTS_DIR = ROOT / "events"
ENV_FILE = EVENTS_DIR / "env.json"

FUNCTION = "ActivityPosterFunction"
QUEUE = "ActivityQueue"
DLQ = "ActivityDeadLetterQueue"
API = "ActivityApi"
TABLE = "IdempotencyTable"
BUDGET_TABLE = "BudgetTable"
TOPIC = "AlarmTopic"

# Answers for the parameters without a default, which a deployment must give (sam deploy
# --guided asks for them); the evaluator uses them unless a test passes other values.
REQUIRED_ANSWERS = {
    "LeadSquaredApiUrl": "https://api-in21.leadsquared.com",
    "LeadSquaredPlan": "Lite",
}

# What AWS::NoValue evaluates to: the property or list item is left out.
NO_VALUE = object()

PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "leadsquared-activity-poster",
}


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form intrinsic function tags."""


def _construct_intrinsic(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}")
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    if tag_suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template() -> dict[str, Any]:
    with TEMPLATE_PATH.open(encoding="utf-8") as handle:
        # CfnLoader is a SafeLoader: no arbitrary Python objects.
        return yaml.load(handle, Loader=CfnLoader)


def function_property(template: dict[str, Any], name: str) -> Any:
    """A function property as deployed: the resource's own value, else the Globals one."""
    own = template["Resources"][FUNCTION].get("Properties", {})
    if name in own:
        return own[name]
    return template.get("Globals", {}).get("Function", {}).get(name)


class Evaluator:
    """Resolves intrinsic functions for given parameter values (defaults otherwise, and
    REQUIRED_ANSWERS for parameters without a default).

    A Ref to a resource and a GetAtt stay as they are; AWS::NoValue becomes NO_VALUE, and
    is dropped from the mappings and lists around it.
    """

    def __init__(self, template: dict[str, Any], overrides: Mapping[str, Any] | None = None):
        self.template = template
        self.values: dict[str, Any] = {
            name: spec["Default"] if "Default" in spec else REQUIRED_ANSWERS[name]
            for name, spec in template.get("Parameters", {}).items()
        }
        self.values.update(overrides or {})
        self.values.update(PSEUDO_PARAMETERS)

    def condition(self, name: str) -> bool:
        return bool(self.eval(self.template["Conditions"][name]))

    def exists(self, logical_id: str) -> bool:
        """Whether a resource (or output) is created for these parameter values."""
        section = "Resources" if logical_id in self.template["Resources"] else "Outputs"
        condition = self.template[section][logical_id].get("Condition")
        return condition is None or self.condition(condition)

    def eval(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.eval(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) != 1:
            values = {key: self.eval(value) for key, value in node.items()}
            return {key: value for key, value in values.items() if value is not NO_VALUE}
        ((key, arg),) = node.items()
        if key == "Ref":
            if arg == "AWS::NoValue":
                return NO_VALUE
            if arg in self.template["Resources"]:
                return node
            if arg not in self.values:
                raise KeyError(f"cannot resolve Ref {arg}")
            return self.values[arg]
        if key == "Fn::GetAtt":
            return node
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.eval(arg[1]))
            return re.sub(
                r"\$\{([^}!]+)\}",
                lambda m: str(extra.get(m.group(1), self.values.get(m.group(1), m.group(0)))),
                text,
            )
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.eval(when_true if self.condition(name) else when_false)
        if key == "Fn::Equals":
            left, right = self.eval(arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.eval(arg[0])
        if key == "Fn::And":
            return all(self.eval(item) for item in arg)
        if key == "Fn::Or":
            return any(self.eval(item) for item in arg)
        if key == "Fn::Contains":
            items, value = self.eval(arg)
            return str(value) in [str(item) for item in items]
        if key == "Fn::Select":
            index, items = self.eval(arg)
            return items[int(index)]
        if key == "Fn::Split":
            separator, text = self.eval(arg)
            return str(text).split(separator)
        if key == "Fn::Join":
            separator, items = self.eval(arg)
            return separator.join(str(item) for item in items)
        if key == "Fn::FindInMap":
            mapping, first, second = (str(part) for part in self.eval(arg))
            return self.template["Mappings"][mapping][first][second]
        return {key: self.eval(arg)}


def references(node: Any, parameter: str) -> bool:
    """Whether an expression depends on a parameter (Ref or ${...} in a Sub)."""
    if isinstance(node, list):
        return any(references(item, parameter) for item in node)
    if isinstance(node, dict):
        if node.get("Ref") == parameter:
            return True
        sub = node.get("Fn::Sub")
        text = sub if isinstance(sub, str) else sub[0] if isinstance(sub, list) else None
        if text is not None and "${" + parameter + "}" in text:
            return True
        return any(references(value, parameter) for value in node.values())
    return False


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Grant:
    """One inline policy statement of the function, with the condition it is created under."""

    statement: dict[str, Any]
    condition: str | None

    @property
    def actions(self) -> list[str]:
        return [str(action) for action in as_list(self.statement["Action"])]

    @property
    def resources(self) -> list[Any]:
        return as_list(self.statement["Resource"])


def function_grants(function: dict[str, Any]) -> Iterator[Grant]:
    """Inline statements of the function's Policies, also inside `Fn::If [cond, policy, ...]`."""
    for policy in function["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            for statement in policy["Statement"]:
                yield Grant(statement, None)
        elif isinstance(policy, dict) and "Fn::If" in policy:
            name, when_true, when_false = policy["Fn::If"]
            assert when_false == {"Ref": "AWS::NoValue"}, "a conditional policy must be all or none"
            for statement in when_true["Statement"]:
                yield Grant(statement, name)


def events_of_type(function: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    events = function["Properties"].get("Events", {})
    return [e["Properties"] for e in events.values() if e["Type"] == kind]


def cfn_lint_command() -> list[str] | None:
    """How to run cfn-lint from the tests' environment; None when it is not installed."""
    script = Path(sys.executable).with_name("cfn-lint")
    if script.is_file():
        return [str(script)]
    found = shutil.which("cfn-lint")
    if found:
        return [found]
    try:
        import cfnlint  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
