"""Fixtures of the template tests: template.yaml parsed once per module."""

from __future__ import annotations

from typing import Any

import pytest

from tests.template.cfn import FUNCTION, load_template


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="module")
def function(resources: dict[str, Any]) -> dict[str, Any]:
    assert resources[FUNCTION]["Type"] == "AWS::Serverless::Function"
    return resources[FUNCTION]
