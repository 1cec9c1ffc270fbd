"""Checks on template.yaml: LeadSquared plans and the account's budget, concurrency, least
privilege, idempotency, FIFO, tracing, alarms, the dashboard, events/env.json, checkov, and
samconfig.toml."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.template.cfn import (
    API,
    BUDGET_TABLE,
    DLQ,
    ENV_FILE,
    FUNCTION,
    NO_VALUE,
    QUEUE,
    ROOT,
    SAMCONFIG_PATH,
    TABLE,
    TEMPLATE_PATH,
    TOPIC,
    Evaluator,
    cfn_lint_command,
    events_of_type,
    function_grants,
    function_property,
    references,
)

NAMESPACE = "LeadSquaredActivityPoster"
SERVICE = "leadsquared-activity-poster"
CUSTOM_METRICS = (
    "Delivered",
    "Rejected",
    "Throttled",
    "Retried",
    "DeadLettered",
    "Deduplicated",
    "NotTried",
    "ConfigurationFault",
    "IdempotencyRecordLost",
    "DailyLimitReached",
    "DailyBudgetUsedPercent",
    "UpstreamLatency",
    "ColdStart",
)
IDEMPOTENCY_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
}
# budget.py: Query on a budget's partition, conditional UpdateItem on a lease or the day's count.
BUDGET_ACTIONS = {"dynamodb:Query", "dynamodb:UpdateItem"}
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"


def _variables(template: dict[str, Any]) -> dict[str, Any]:
    return function_property(template, "Environment")["Variables"]


# --- LeadSquared plans and the account's budget ---------------------------------------------

# LeadSquared's rate-limits page, as the plans' limits (standard, bulk: calls per 5 s): Pro and
# Super from the current page, the other plans from the older one (bulk 1/5 s on every plan).
PLAN_LIMITS = {
    "Lite": (2, 1),
    "Basic": (10, 1),
    "Standard": (15, 1),
    "Pro": (10, 5),
    "Super": (20, 10),
    "Enterprise": (25, 1),
}
SMALLEST_PLAN = "Lite"
API_URL = "https://api-in21.leadsquared.com"


def _plan(template: dict[str, Any], plan: str, **overrides: Any) -> Evaluator:
    return Evaluator(template, {"LeadSquaredPlan": plan, **overrides})


def _settings_for(template: dict[str, Any], evaluator: Evaluator) -> Any:
    """The function's own settings, read from the environment the template gives it."""
    from activity_poster.settings import Settings

    variables = evaluator.eval(_variables(template))
    environment = {
        # A resource's Ref (a queue URL, a table name) stands in as its logical id.
        name: value["Ref"] if isinstance(value, dict) else str(value)
        for name, value in variables.items()
    }
    return Settings.from_env(environment)


@pytest.mark.parametrize(
    "parameter", ["LeadSquaredRateLimitOverride", "LeadSquaredBulkRateLimitOverride"]
)
@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),  # the plan's
        ("25/5s", True),
        ("5/5s", True),
        ("100/60s", True),
        ("10/1.5s", True),
        ("3/0.5s", True),
        ("0/5s", False),
        ("25/0s", False),
        ("25/5", False),
        ("25 / 5s", False),
        ("25/5m", False),
        (" ", False),
    ],
)
def test_rate_limit_override_patterns(
    template: dict[str, Any], parameter: str, value: str, accepted: bool
) -> None:
    pattern = template["Parameters"][parameter]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted


def test_plan_is_a_required_choice_of_the_documented_plans(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["LeadSquaredPlan"]
    # No default: one above the account's plan gets calls refused, one below wastes the plan.
    assert "Default" not in parameter
    assert sorted(parameter["AllowedValues"]) == sorted(PLAN_LIMITS)
    assert sorted(template["Mappings"]["LeadSquaredPlans"]) == sorted(PLAN_LIMITS)
    description = " ".join(parameter["Description"].split())
    for plan, (standard, bulk) in PLAN_LIMITS.items():
        assert f"{plan} {standard} / {bulk}" in description, plan
    # The daily caps, where LeadSquared gives them.
    for words in ("10,000 + 1,000 per user", "250,000", "100,000 + 1,000 per user", "1,000,000"):
        assert words in description, words


@pytest.mark.parametrize("plan", sorted(PLAN_LIMITS))
def test_every_plan_maps_to_its_limits(template: dict[str, Any], plan: str) -> None:
    standard, bulk = PLAN_LIMITS[plan]
    variables = _plan(template, plan).eval(_variables(template))
    assert variables["LEADSQUARED_RATE_LIMIT"] == f"{standard}/5s"
    assert variables["LEADSQUARED_BULK_RATE_LIMIT"] == f"{bulk}/5s"
    # The function reads them as the account's limits, not divided by any container count.
    settings = _settings_for(template, _plan(template, plan))
    assert (settings.rate_limit.calls, settings.rate_limit.window_seconds) == (standard, 5.0)
    assert (settings.bulk_rate_limit.calls, settings.bulk_rate_limit.window_seconds) == (bulk, 5.0)


@pytest.mark.parametrize("plan", sorted(PLAN_LIMITS))
def test_api_throttle_follows_the_plan(
    template: dict[str, Any], resources: dict[str, Any], plan: str
) -> None:
    standard, _ = PLAN_LIMITS[plan]
    throttle = _plan(template, plan).eval(resources[API]["Properties"])["Auth"]["UsagePlan"][
        "Throttle"
    ]
    # Its steady rate is the plan's; a burst is one window's worth.
    assert float(throttle["RateLimit"]) == pytest.approx(standard / 5)
    assert float(throttle["RateLimit"]) > 0
    assert str(throttle["BurstLimit"]) == str(standard)


def test_api_throttle_parameters_override_the_plan(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    parameters = template["Parameters"]
    for name in ("ApiThrottleRateLimit", "ApiThrottleBurstLimit"):
        assert parameters[name]["Default"] == 0, name  # 0: the plan's
        assert parameters[name]["MinValue"] == 0, name
        description = " ".join(parameters[name]["Description"].split())
        assert "LeadSquaredPlan" in description, name
        assert "LeadSquaredRateLimitOverride" in description, name
        assert "/activities/batch" in description, name
    evaluator = _plan(template, "Pro", ApiThrottleRateLimit=7, ApiThrottleBurstLimit=12)
    throttle = evaluator.eval(resources[API]["Properties"])["Auth"]["UsagePlan"]["Throttle"]
    assert (throttle["RateLimit"], throttle["BurstLimit"]) == (7, 12)


@pytest.mark.parametrize(
    ("variable", "parameter", "mapped"),
    [
        ("LEADSQUARED_RATE_LIMIT", "LeadSquaredRateLimitOverride", "RateLimit"),
        ("LEADSQUARED_BULK_RATE_LIMIT", "LeadSquaredBulkRateLimitOverride", "BulkRateLimit"),
    ],
)
def test_rate_limit_override_wins_over_the_plan(
    template: dict[str, Any], variable: str, parameter: str, mapped: str
) -> None:
    for plan in PLAN_LIMITS:
        overridden = _plan(template, plan, **{parameter: "40/5s"}).eval(_variables(template))
        assert overridden[variable] == "40/5s", plan
        plain = _plan(template, plan, **{parameter: ""}).eval(_variables(template))
        assert plain[variable] == template["Mappings"]["LeadSquaredPlans"][plan][mapped], plan
    settings = _settings_for(template, _plan(template, "Lite", **{parameter: "40/5s"}))
    limit = (
        settings.rate_limit if variable == "LEADSQUARED_RATE_LIMIT" else settings.bulk_rate_limit
    )
    assert limit.calls == 40


def test_smallest_plan_deploys(template: dict[str, Any], resources: dict[str, Any]) -> None:
    # A Lite account: 2 calls per 5 s, 1 bulk call per 5 s, at the default MaximumConcurrency.
    assert template["Parameters"]["MaximumConcurrency"]["Default"] > 1
    lite = _plan(template, SMALLEST_PLAN, LeadSquaredApiUrl=API_URL)
    settings = _settings_for(template, lite)
    assert str(settings.rate_limit) == "2/5s"
    assert str(settings.bulk_rate_limit) == "1/5s"
    assert settings.budget_table == BUDGET_TABLE
    assert settings.api_url == API_URL
    throttle = lite.eval(resources[API]["Properties"])["Auth"]["UsagePlan"]["Throttle"]
    # API Gateway takes a fractional rate (a Number) but a whole burst (an Integer) of at least 1.
    assert float(throttle["RateLimit"]) == pytest.approx(0.4)
    assert int(str(throttle["BurstLimit"])) == 2
    # Nothing is divided by MaximumConcurrency, whatever it is.
    for concurrency in (2, 10, 1000):
        again = _settings_for(
            template, _plan(template, SMALLEST_PLAN, MaximumConcurrency=concurrency)
        )
        assert again.rate_limit == settings.rate_limit, concurrency
        assert again.bulk_rate_limit == settings.bulk_rate_limit, concurrency


def test_cfn_lint_checks_every_plan_of_the_mapping(tmp_path: Path) -> None:
    # cfn-lint resolves !FindInMap for every plan, so "cfn-lint passes" (test_template.py)
    # covers each plan: a Lite burst API Gateway would refuse must fail it.
    command = cfn_lint_command()
    if command is None:
        pytest.skip("cfn-lint is not installed")
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    lite = 'Lite:\n      RateLimit: 2/5s\n      BulkRateLimit: 1/5s\n      ApiRate: "0.4"\n      ApiBurst: "2"'
    assert text.count(lite) == 1
    broken = tmp_path / "template.yaml"
    broken.write_text(text.replace(lite, lite.replace('ApiBurst: "2"', 'ApiBurst: "2.5"')))
    result = subprocess.run(
        [*command, str(broken)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode != 0
    assert "ApiBurst" in result.stdout


@pytest.mark.parametrize(
    ("daily", "expected"), [(0, ""), ("0", ""), (5000, "5000"), (250000, "250000")]
)
def test_daily_limit_variable_is_empty_unless_a_limit_is_given(
    template: dict[str, Any], daily: Any, expected: str
) -> None:
    variables = _variables(template)
    assert variables["LEADSQUARED_DAILY_LIMIT"] == {
        "Fn::If": ["HasDailyLimit", {"Ref": "LeadSquaredDailyLimit"}, ""]
    }
    evaluator = _plan(template, "Pro", LeadSquaredDailyLimit=daily)
    assert str(evaluator.eval(variables)["LEADSQUARED_DAILY_LIMIT"]) == expected
    # The function reads an empty value as unset: calls are then not counted per day.
    settings = _settings_for(template, evaluator)
    assert settings.daily_limit == (int(expected) if expected else None)


def test_daily_limit_parameter(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["LeadSquaredDailyLimit"]
    assert parameter["Type"] == "Number"
    assert parameter["Default"] == 0
    assert parameter["MinValue"] == 0
    description = " ".join(parameter["Description"].split())
    for words in ("0 (default)", "not counted", "UTC", "DailyBudgetAlarm", "other integrations"):
        assert words in description, words


# --- Concurrency ---------------------------------------------------------------------------


def test_no_function_reserves_concurrency(template: dict[str, Any]) -> None:
    # Reserved concurrency would cap API requests together with SQS batches: while batches run
    # at MaximumConcurrency, API callers would be throttled (a 500 from API Gateway).
    assert "ReserveConcurrency" not in template["Parameters"]
    assert "ReserveConcurrencyEnabled" not in template["Conditions"]
    choices = [
        {},
        {"MaximumConcurrency": 7, "FifoQueue": "true", "EnableIdempotency": "false"},
        {"LeadSquaredPlan": "Enterprise", "MaximumConcurrency": 1000},
    ]
    functions = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] in {"AWS::Serverless::Function", "AWS::Lambda::Function"}
    }
    assert set(functions) == {FUNCTION}
    for name, resource in functions.items():
        assert not references(
            resource["Properties"].get("ReservedConcurrentExecutions"), "MaximumConcurrency"
        )
        for overrides in choices:
            properties = Evaluator(template, overrides).eval(resource["Properties"])
            assert "ReservedConcurrentExecutions" not in properties, (name, overrides)
    assert "ReservedConcurrentExecutions" not in template.get("Globals", {}).get("Function", {})


def test_api_requests_can_get_an_execution_while_sqs_runs_at_its_maximum(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    # The API events are on a function with no concurrency cap of its own; the only bound on
    # the SQS side is the event source's MaximumConcurrency, which applies to SQS alone.
    assert len(events_of_type(function, "Api")) == 2
    (sqs,) = events_of_type(function, "SQS")
    assert sqs["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "MaximumConcurrency"}}
    properties = Evaluator(template, {"MaximumConcurrency": 1000}).eval(function["Properties"])
    assert "ReservedConcurrentExecutions" not in properties
    # What the API draws on instead is written down.
    description = " ".join(template["Parameters"]["MaximumConcurrency"]["Description"].split())
    for words in ("throughput only", "API requests", "quota", "BudgetTable"):
        assert words in description, words
    assert "LEADSQUARED_CONTAINERS" not in description
    assert "must not exceed the calls per window" not in description.lower()


def test_the_concurrency_choice_is_explained_in_the_template() -> None:
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    comment = " ".join(
        line.removeprefix("#").strip() for line in text.splitlines() if line.startswith("#")
    )
    assert "one function, without reserved concurrency" in comment
    for words in ("MaximumConcurrency", "API requests", "second function", "quota"):
        assert words in comment, words
    assert "MaximumConcurrency must not exceed the calls per window" not in comment
    assert "LEADSQUARED_CONTAINERS" not in text


def test_delivery_mode_parameter(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["DeliveryMode"]
    assert parameter["Default"] == "single"
    assert sorted(parameter["AllowedValues"]) == ["auto", "bulk", "single"]
    assert _variables(template)["DELIVERY_MODE"] == {"Ref": "DeliveryMode"}


def test_retry_backoff_parameters_fit_the_sqs_visibility_timeout(
    template: dict[str, Any],
) -> None:
    parameters = template["Parameters"]
    base = parameters["RetryBackoffBaseSeconds"]
    maximum = parameters["RetryBackoffMaxSeconds"]
    assert (base["Default"], maximum["Default"]) == (30, 900)
    assert base["Default"] <= maximum["Default"]
    for parameter in (base, maximum):
        assert parameter["MinValue"] >= 0
        assert parameter["MaxValue"] <= 43200  # the SQS maximum visibility timeout


def test_every_parameter_is_in_one_console_group(template: dict[str, Any]) -> None:
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"])


# --- Least privilege -----------------------------------------------------------------------


def test_function_has_no_managed_or_template_policies(function: dict[str, Any]) -> None:
    for policy in function["Properties"].get("Policies", []):
        assert isinstance(policy, dict), f"managed policy {policy}"
        assert "Statement" in policy or "Fn::If" in policy, f"policy template {policy}"


def test_inline_policies_grant_only_the_expected_actions(function: dict[str, Any]) -> None:
    actions = {action for grant in function_grants(function) for action in grant.actions}
    assert actions == {
        "secretsmanager:GetSecretValue",
        "sqs:SendMessage",
        "sqs:ChangeMessageVisibility",
        *BUDGET_ACTIONS,
        *IDEMPOTENCY_ACTIONS,
    }
    for grant in function_grants(function):
        assert grant.statement["Effect"] == "Allow"
        assert "Condition" not in grant.statement or grant.statement["Condition"]
        for action in grant.actions:
            assert "*" not in action, action
        for resource in grant.resources:
            assert resource != "*"
            assert not (isinstance(resource, str) and resource.endswith(":*")), resource


def _resources_granted(function: dict[str, Any], action: str) -> list[tuple[Any, str | None]]:
    return [
        (resource, grant.condition)
        for grant in function_grants(function)
        if action in grant.actions
        for resource in grant.resources
    ]


def test_send_message_only_on_the_dead_letter_queue_and_the_queue(
    function: dict[str, Any],
) -> None:
    granted = _resources_granted(function, "sqs:SendMessage")
    assert sorted(granted, key=str) == sorted(
        [({"Fn::GetAtt": [DLQ, "Arn"]}, None), ({"Fn::GetAtt": [QUEUE, "Arn"]}, None)], key=str
    )


def test_change_message_visibility_only_on_the_queue(function: dict[str, Any]) -> None:
    # SAM's SQS poller policy (AWSLambdaSQSQueueExecutionRole) grants ReceiveMessage,
    # DeleteMessage and GetQueueAttributes only: the backoff needs its own grant.
    granted = _resources_granted(function, "sqs:ChangeMessageVisibility")
    assert granted == [({"Fn::GetAtt": [QUEUE, "Arn"]}, None)]


def _dynamodb_grants(function: dict[str, Any]) -> list[Any]:
    return [
        grant
        for grant in function_grants(function)
        if any(action.startswith("dynamodb:") for action in grant.actions)
    ]


def test_dynamodb_access_is_the_budget_table_and_the_idempotency_table(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    by_table = {grant.resources[0]["Fn::GetAtt"][0]: grant for grant in _dynamodb_grants(function)}
    assert set(by_table) == {BUDGET_TABLE, TABLE}
    for name, grant in by_table.items():
        assert grant.resources == [{"Fn::GetAtt": [name, "Arn"]}], name  # no index, no "*"
        assert len(grant.actions) == len(set(grant.actions)), name

    # The budget: Query and UpdateItem, nothing else, whatever the parameters.
    budget = by_table[BUDGET_TABLE]
    assert set(budget.actions) == BUDGET_ACTIONS
    assert budget.condition is None
    assert "Condition" not in template["Resources"][BUDGET_TABLE]
    # Idempotency: what Powertools' DynamoDB persistence layer needs, only when enabled.
    idempotency = by_table[TABLE]
    assert set(idempotency.actions) == IDEMPOTENCY_ACTIONS
    assert idempotency.condition == "IdempotencyEnabled"
    assert template["Resources"][TABLE]["Condition"] == "IdempotencyEnabled"

    def dynamodb_grants(overrides: dict[str, str]) -> set[tuple[str, str]]:
        policies = Evaluator(template, overrides).eval(function["Properties"]["Policies"])
        return {
            (str(action), statement["Resource"]["Fn::GetAtt"][0])
            for policy in policies
            for statement in policy["Statement"]
            for action in statement["Action"]
            if str(action).startswith("dynamodb:")
        }

    budget_grants = {(action, BUDGET_TABLE) for action in BUDGET_ACTIONS}
    idempotency_grants = {(action, TABLE) for action in IDEMPOTENCY_ACTIONS}
    assert dynamodb_grants({"EnableIdempotency": "true"}) == budget_grants | idempotency_grants
    assert dynamodb_grants({"EnableIdempotency": "false"}) == budget_grants


def test_budget_table(resources: dict[str, Any]) -> None:
    table = resources[BUDGET_TABLE]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert "Condition" not in table
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    # budget.py: partition "budget" (S), sort key "slot" (N), day counts expire by expires_at.
    assert properties["KeySchema"] == [
        {"AttributeName": "budget", "KeyType": "HASH"},
        {"AttributeName": "slot", "KeyType": "RANGE"},
    ]
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(
        [
            {"AttributeName": "budget", "AttributeType": "S"},
            {"AttributeName": "slot", "AttributeType": "N"},
        ],
        key=str,
    )
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert "TableName" not in properties
    assert "GlobalSecondaryIndexes" not in properties
    assert "LocalSecondaryIndexes" not in properties
    # Leases and day counts only: removed with the stack.
    assert table["DeletionPolicy"] == "Delete"


def test_budget_environment(template: dict[str, Any]) -> None:
    variables = _variables(template)
    assert variables["LEADSQUARED_BUDGET_TABLE"] == {"Ref": BUDGET_TABLE}
    for overrides in ({}, {"EnableIdempotency": "false", "LeadSquaredPlan": "Super"}):
        evaluated = Evaluator(template, overrides).eval(variables)
        assert evaluated["LEADSQUARED_BUDGET_TABLE"] == {"Ref": BUDGET_TABLE}
        assert "LEADSQUARED_CONTAINERS" not in evaluated
    # The batches' share of the budget is the function's default (0.2): not set here.
    assert "LEADSQUARED_BATCH_RESERVE" not in variables


def test_budget_table_output(template: dict[str, Any]) -> None:
    output = template["Outputs"]["BudgetTableName"]
    assert "Condition" not in output
    assert output["Value"] == {"Ref": BUDGET_TABLE}


def test_xray_permissions_come_only_from_the_tracing_property(function: dict[str, Any]) -> None:
    for grant in function_grants(function):
        assert not any(action.lower().startswith("xray:") for action in grant.actions)


# --- Idempotency ---------------------------------------------------------------------------


def test_idempotency_table(template: dict[str, Any], resources: dict[str, Any]) -> None:
    table = resources[TABLE]
    assert table["Type"] == "AWS::DynamoDB::Table"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    # Powertools' DynamoDBPersistenceLayer defaults: key "id", expiry "expiration".
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert "TableName" not in properties


def test_idempotency_is_on_by_default_and_can_be_turned_off(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["EnableIdempotency"]
    assert parameter["Default"] == "true"
    assert sorted(parameter["AllowedValues"]) == ["false", "true"]
    assert Evaluator(template).exists(TABLE)
    assert not Evaluator(template, {"EnableIdempotency": "false"}).exists(TABLE)
    window = template["Parameters"]["IdempotencyWindowSeconds"]
    assert window["Default"] == 86400
    assert window["MaxValue"] <= 14 * 24 * 60 * 60


def test_idempotency_environment(template: dict[str, Any]) -> None:
    variables = _variables(template)
    assert variables["IDEMPOTENCY_TABLE_NAME"] == {
        "Fn::If": ["IdempotencyEnabled", {"Ref": TABLE}, ""]
    }
    assert variables["IDEMPOTENCY_EXPIRY_SECONDS"] == {"Ref": "IdempotencyWindowSeconds"}
    on = Evaluator(template, {"EnableIdempotency": "true"}).eval(variables)
    assert on["IDEMPOTENCY_TABLE_NAME"] == {"Ref": TABLE}
    off = Evaluator(template, {"EnableIdempotency": "false"}).eval(variables)
    assert off["IDEMPOTENCY_TABLE_NAME"] == ""


def test_idempotency_table_output_only_when_enabled(template: dict[str, Any]) -> None:
    output = template["Outputs"]["IdempotencyTableName"]
    assert output["Condition"] == "IdempotencyEnabled"
    assert output["Value"] == {"Ref": TABLE}


# --- FIFO ----------------------------------------------------------------------------------


def test_fifo_parameter_drives_the_is_fifo_condition(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["FifoQueue"]
    assert parameter["Default"] == "false"
    assert sorted(parameter["AllowedValues"]) == ["false", "true"]
    assert not Evaluator(template).condition("IsFifo")
    assert Evaluator(template, {"FifoQueue": "true"}).condition("IsFifo")


def test_fifo_makes_both_queues_fifo(template: dict[str, Any], resources: dict[str, Any]) -> None:
    fifo = Evaluator(template, {"FifoQueue": "true"})
    queue = fifo.eval(resources[QUEUE]["Properties"])
    dlq = fifo.eval(resources[DLQ]["Properties"])
    # A FIFO queue's dead-letter queue must be a FIFO queue too.
    assert queue["FifoQueue"] is True
    assert dlq["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is True
    for properties in (queue, dlq):
        # CloudFormation generates a name ending in .fifo when none is given.
        name = properties.get("QueueName")
        assert name is None or str(name).endswith(".fifo")


def test_standard_queues_by_default(template: dict[str, Any], resources: dict[str, Any]) -> None:
    standard = Evaluator(template)
    for name in (QUEUE, DLQ):
        properties = standard.eval(resources[name]["Properties"])
        # SQS refuses FifoQueue=false and ContentBasedDeduplication on a standard queue.
        assert "FifoQueue" not in properties, name
        assert "ContentBasedDeduplication" not in properties, name
        assert "QueueName" not in properties, name


def test_fifo_environment(template: dict[str, Any]) -> None:
    variables = _variables(template)
    assert variables["FIFO_QUEUE"] == {"Fn::If": ["IsFifo", "true", "false"]}
    assert Evaluator(template).eval(variables)["FIFO_QUEUE"] == "false"
    assert Evaluator(template, {"FifoQueue": "true"}).eval(variables)["FIFO_QUEUE"] == "true"


@pytest.mark.parametrize(("batch_size", "allowed"), [(1, True), (10, True), (11, False)])
def test_fifo_batch_size_rule(template: dict[str, Any], batch_size: int, allowed: bool) -> None:
    (rule,) = template["Rules"].values()
    fifo = Evaluator(template, {"FifoQueue": "true", "BatchSize": batch_size})
    assert fifo.eval(rule["RuleCondition"]) is True
    assert all(fifo.eval(a["Assert"]) for a in rule["Assertions"]) is allowed
    standard = Evaluator(template, {"FifoQueue": "false", "BatchSize": batch_size})
    assert standard.eval(rule["RuleCondition"]) is False


def test_sqs_event_source_stays_on_the_queue_for_fifo(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    (sqs,) = events_of_type(function, "SQS")
    evaluated = Evaluator(template, {"FifoQueue": "true"}).eval(sqs)
    assert evaluated["Queue"] == {"Fn::GetAtt": [QUEUE, "Arn"]}
    assert "MaximumBatchingWindowInSeconds" not in evaluated
    assert evaluated["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


# --- Tracing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enabled", "mode", "api_tracing", "powertools_disabled"),
    [("true", "Active", True, "false"), ("false", "PassThrough", False, "true")],
)
def test_tracing_parameter_wiring(
    template: dict[str, Any],
    resources: dict[str, Any],
    enabled: str,
    mode: str,
    api_tracing: bool,
    powertools_disabled: str,
) -> None:
    evaluator = Evaluator(template, {"EnableTracing": enabled})
    function = evaluator.eval(resources[FUNCTION]["Properties"])
    assert function["Tracing"] == mode
    assert function["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"] == powertools_disabled
    api = evaluator.eval(resources[API]["Properties"])
    assert api["TracingEnabled"] is api_tracing


def test_tracing_is_off_by_default(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["EnableTracing"]
    assert parameter["Default"] == "false"
    assert sorted(parameter["AllowedValues"]) == ["false", "true"]
    assert function_property(template, "Tracing") == {
        "Fn::If": ["TracingEnabled", "Active", "PassThrough"]
    }


# --- API -----------------------------------------------------------------------------------


def test_both_routes_require_the_api_key(
    template: dict[str, Any], resources: dict[str, Any], function: dict[str, Any]
) -> None:
    auth = resources[API]["Properties"]["Auth"]
    assert auth["ApiKeyRequired"] is True
    assert "DefaultAuthorizer" not in auth
    routes = {route["Path"]: route for route in events_of_type(function, "Api")}
    assert set(routes) == {"/activities", "/activities/batch"}
    for path, route in routes.items():
        assert route["Method"].lower() == "post", path
        assert route["RestApiId"] == {"Ref": API}, path
        assert Evaluator(template).eval(route.get("Auth", {})).get("ApiKeyRequired", True), path


# --- Alarms --------------------------------------------------------------------------------

ALARMS = {
    "DeadLetterQueueNotEmptyAlarm": {
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [DLQ, "QueueName"]}}],
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
    },
    "OldestMessageAgeAlarm": {
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateAgeOfOldestMessage",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [QUEUE, "QueueName"]}}],
        "Threshold": {"Ref": "OldestMessageAgeAlarmSeconds"},
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    },
    "FunctionErrorsAlarm": {
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": FUNCTION}}],
        "Statistic": "Sum",
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
    },
    "FunctionThrottlesAlarm": {
        "Namespace": "AWS/Lambda",
        "MetricName": "Throttles",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": FUNCTION}}],
        "Statistic": "Sum",
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
    },
    "LeadSquaredThrottledAlarm": {
        "Namespace": NAMESPACE,
        "MetricName": "Throttled",
        "Dimensions": [{"Name": "service", "Value": SERVICE}],
        "Statistic": "Sum",
        "Threshold": 10,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    },
    "NotTriedAlarm": {
        "Namespace": NAMESPACE,
        "MetricName": "NotTried",
        "Dimensions": [{"Name": "service", "Value": SERVICE}],
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
    },
    "ConfigurationFaultAlarm": {
        "Namespace": NAMESPACE,
        "MetricName": "ConfigurationFault",
        "Dimensions": [{"Name": "service", "Value": SERVICE}],
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
    },
    # The function publishes the highest share of the day it saw, as a percentage.
    "DailyBudgetAlarm": {
        "Namespace": NAMESPACE,
        "MetricName": "DailyBudgetUsedPercent",
        "Dimensions": [{"Name": "service", "Value": SERVICE}],
        "Statistic": "Maximum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 80,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    },
}

# Words each alarm's description must contain: what to change.
ALARM_REMEDIES = {
    "NotTriedAlarm": ("FunctionTimeout", "BatchSize", "14.05 s"),
    "ConfigurationFaultAlarm": ("LEADSQUARED_API_URL", "LeadSquaredApiUrl"),
    "DailyBudgetAlarm": ("LeadSquaredDailyLimit", "00:00 UTC", "DeliveryMode", "429"),
    "LeadSquaredThrottledAlarm": ("LeadSquaredPlan", "LeadSquaredRateLimitOverride"),
    "FunctionThrottlesAlarm": ("concurrency quota", "MaximumConcurrency"),
}


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_alarm(resources: dict[str, Any], name: str) -> None:
    alarm = resources[name]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    assert "Condition" not in alarm
    properties = alarm["Properties"]
    for key, expected in ALARMS[name].items():
        assert properties[key] == expected, key
    assert properties["AlarmActions"] == [{"Ref": TOPIC}]
    assert properties["OKActions"] == [{"Ref": TOPIC}]
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties.get("ActionsEnabled", True) is True
    # Error and throttle counts are summed over 5 minutes.
    if properties.get("Statistic") == "Sum":
        assert properties["Period"] * properties["EvaluationPeriods"] == 300
    description = " ".join(properties["AlarmDescription"].split())
    assert len(description) >= 150, "say what it means and what to do"


@pytest.mark.parametrize("name", sorted(ALARM_REMEDIES))
def test_alarm_description_says_what_to_change(resources: dict[str, Any], name: str) -> None:
    description = " ".join(resources[name]["Properties"]["AlarmDescription"].split())
    for words in ALARM_REMEDIES[name]:
        assert words in description, words


def test_function_metric_alarms_match_the_throttled_alarm(resources: dict[str, Any]) -> None:
    # Same namespace, dimensions and actions as the alarms on the other EMF metrics.
    model = resources["LeadSquaredThrottledAlarm"]["Properties"]
    shared = ("Namespace", "Dimensions", "AlarmActions", "OKActions", "TreatMissingData")
    for name in ("NotTriedAlarm", "ConfigurationFaultAlarm", "DailyBudgetAlarm"):
        properties = resources[name]["Properties"]
        for key in shared:
            assert properties[key] == model[key], (name, key)


def test_alarms_watch_the_metrics_the_function_emits(template: dict[str, Any]) -> None:
    variables = _variables(template)
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE


def test_daily_budget_alarm_exists_without_a_daily_limit(template: dict[str, Any]) -> None:
    # Created whatever LeadSquaredDailyLimit is (the dashboard lists every alarm by ARN);
    # without a limit the metric is never published and missing data keeps the alarm OK.
    for daily in (0, 5000):
        evaluator = Evaluator(template, {"LeadSquaredDailyLimit": daily})
        assert evaluator.exists("DailyBudgetAlarm"), daily
    assert not Evaluator(template).condition("HasDailyLimit")
    assert Evaluator(template, {"LeadSquaredDailyLimit": 5000}).condition("HasDailyLimit")


def test_alarm_descriptions_name_no_removed_parameter(resources: dict[str, Any]) -> None:
    removed = re.compile(r"\b(LeadSquaredRateLimit|LeadSquaredBulkRateLimit|ReserveConcurrency)\b")
    for name in ALARMS:
        description = resources[name]["Properties"]["AlarmDescription"]
        assert not removed.search(description), name
        assert "reserved MaximumConcurrency" not in description, name


def test_oldest_message_age_threshold_default(template: dict[str, Any]) -> None:
    assert template["Parameters"]["OldestMessageAgeAlarmSeconds"]["Default"] == 900


def test_every_alarm_of_the_template_is_checked(resources: dict[str, Any]) -> None:
    alarms = {name for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert alarms == set(ALARMS)


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(
    resources: dict[str, Any],
) -> None:
    topic = resources[TOPIC]
    assert topic["Type"] == "AWS::SNS::Topic"
    key_id = topic["Properties"]["KmsMasterKeyId"]
    # CloudWatch alarms cannot publish to a topic under the AWS managed key alias/aws/sns.
    assert key_id != "alias/aws/sns"
    key = resources[key_id["Ref"]]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    for statement in statements:
        assert statement.get("Principal") != "*"
        assert statement["Principal"].get("AWS") != "*"
    (cloudwatch,) = [
        s for s in statements if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


@pytest.mark.parametrize(
    ("email", "subscribed"), [("", False), ("oncall@example.org", True)], ids=["none", "email"]
)
def test_alarm_email_subscription(
    template: dict[str, Any], resources: dict[str, Any], email: str, subscribed: bool
) -> None:
    parameter = template["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    assert re.fullmatch(parameter["AllowedPattern"], email)
    assert not re.fullmatch(parameter["AllowedPattern"], "not an address")
    (name,) = [n for n, r in resources.items() if r["Type"] == "AWS::SNS::Subscription"]
    subscription = resources[name]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": TOPIC},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert Evaluator(template, {"AlarmEmail": email}).exists(name) is subscribed


def test_alarm_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": TOPIC}
    assert outputs["DashboardUrl"]["Value"] == {
        "Fn::Sub": "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home"
        "?region=${AWS::Region}#dashboards:name=${Dashboard}"
    }


# --- Dashboard -----------------------------------------------------------------------------


def _dashboard_text(resources: dict[str, Any]) -> str:
    dashboard = resources["Dashboard"]
    assert dashboard["Type"] == "AWS::CloudWatch::Dashboard"
    body = dashboard["Properties"]["DashboardBody"]
    assert set(body) == {"Fn::Sub"}
    assert isinstance(body["Fn::Sub"], str)
    return body["Fn::Sub"]


@pytest.fixture(scope="module")
def dashboard(resources: dict[str, Any]) -> dict[str, Any]:
    # Every ${Name} or ${Name.Attribute} becomes the placeholder <Name> or <Name.Attribute>.
    text = re.sub(r"\$\{([^}]+)\}", r"<\1>", _dashboard_text(resources))
    return json.loads(text)


def _metrics(dashboard: dict[str, Any]) -> list[list[Any]]:
    """Every metric line, with "." shorthands expanded from the line before."""
    lines: list[list[Any]] = []
    for widget in dashboard["widgets"]:
        if widget["type"] != "metric":
            continue
        previous: list[Any] = []
        for line in widget["properties"]["metrics"]:
            expanded = [
                previous[i] if item == "." and i < len(previous) else item
                for i, item in enumerate(line)
            ]
            lines.append(expanded)
            previous = expanded
    return lines


def _metric(lines: list[list[Any]], namespace: str, name: str) -> list[list[Any]]:
    return [line for line in lines if line[:2] == [namespace, name]]


def test_dashboard_references_resolve(template: dict[str, Any], resources: dict[str, Any]) -> None:
    for reference in re.findall(r"\$\{([^}]+)\}", _dashboard_text(resources)):
        name, _, attribute = reference.partition(".")
        assert name in resources or name in template["Parameters"] or name.startswith("AWS::")
        if attribute:
            assert name in resources, reference


def test_dashboard_shows_each_custom_metric(dashboard: dict[str, Any]) -> None:
    lines = _metrics(dashboard)
    for name in CUSTOM_METRICS:
        found = _metric(lines, NAMESPACE, name)
        assert found, name
        for line in found:
            dimensions = dict(zip(line[2::2], line[3::2], strict=False))
            assert dimensions.get("service") == SERVICE, name
    (cold_start,) = _metric(lines, NAMESPACE, "ColdStart")
    assert cold_start[2:6] == ["function_name", f"<{FUNCTION}>", "service", SERVICE]


def test_dashboard_shows_the_daily_budget(dashboard: dict[str, Any]) -> None:
    widgets = {
        line[1]: widget
        for widget in dashboard["widgets"]
        if widget["type"] == "metric"
        for line in widget["properties"]["metrics"]
        if line[:2] in ([NAMESPACE, "DailyBudgetUsedPercent"], [NAMESPACE, "DailyLimitReached"])
    }
    assert set(widgets) == {"DailyBudgetUsedPercent", "DailyLimitReached"}
    used = widgets["DailyBudgetUsedPercent"]["properties"]
    # A percentage: the highest seen, not a sum over containers.
    assert used["stat"] == "Maximum"
    assert used["yAxis"]["left"] == {"min": 0, "max": 100}
    assert [a["value"] for a in used["annotations"]["horizontal"]] == [80]
    assert widgets["DailyLimitReached"]["properties"]["stat"] == "Sum"


def test_dashboard_shows_latency_percentiles(dashboard: dict[str, Any]) -> None:
    lines = _metric(_metrics(dashboard), NAMESPACE, "UpstreamLatency")
    stats = {line[-1]["stat"] for line in lines if isinstance(line[-1], dict)}
    assert stats >= {"p50", "p90", "p99"}


def test_dashboard_shows_queues_function_and_api(dashboard: dict[str, Any]) -> None:
    lines = _metrics(dashboard)
    queue = f"<{QUEUE}.QueueName>"
    dlq = f"<{DLQ}.QueueName>"
    sqs = {(line[1], line[3]) for line in lines if line[0] == "AWS/SQS"}
    assert ("ApproximateNumberOfMessagesVisible", queue) in sqs
    assert ("ApproximateAgeOfOldestMessage", queue) in sqs
    assert ("ApproximateNumberOfMessagesVisible", dlq) in sqs
    lambda_metrics = {line[1] for line in lines if line[0] == "AWS/Lambda"}
    assert lambda_metrics >= {
        "Invocations",
        "Errors",
        "Throttles",
        "Duration",
        "ConcurrentExecutions",
    }
    for line in lines:
        if line[0] == "AWS/Lambda":
            assert line[2:4] == ["FunctionName", f"<{FUNCTION}>"]
    api_metrics = {line[1] for line in lines if line[0] == "AWS/ApiGateway"}
    assert api_metrics >= {"4XXError", "5XXError", "Count", "Latency"}


def test_dashboard_selects_the_api_by_its_name(
    template: dict[str, Any], resources: dict[str, Any], dashboard: dict[str, Any]
) -> None:
    api_name = Evaluator(template).eval(resources[API]["Properties"]["Name"])
    for line in _metrics(dashboard):
        if line[0] == "AWS/ApiGateway":
            dimensions = dict(zip(line[2:6:2], line[3:6:2], strict=True))
            assert dimensions == {"ApiName": "<AWS::StackName>", "Stage": "v1"}
    assert api_name == Evaluator(template).values["AWS::StackName"]
    assert resources[API]["Properties"]["StageName"] == "v1"


def test_dashboard_lists_every_alarm(dashboard: dict[str, Any]) -> None:
    widgets = [w for w in dashboard["widgets"] if w["type"] == "alarm"]
    listed = {alarm for widget in widgets for alarm in widget["properties"]["alarms"]}
    assert listed == {f"<{name}.Arn>" for name in ALARMS}


def test_dashboard_widgets_have_a_region_and_title(dashboard: dict[str, Any]) -> None:
    for widget in dashboard["widgets"]:
        assert widget["properties"]["title"]
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "<AWS::Region>"


# --- events/env.json -----------------------------------------------------------------------


def test_env_file_points_the_new_settings_at_local_stand_ins(template: dict[str, Any]) -> None:
    env = json.loads(ENV_FILE.read_text(encoding="utf-8"))[FUNCTION]
    for name, value in env.items():
        assert isinstance(value, str), name
    assert env["IDEMPOTENCY_TABLE_NAME"] == ""
    assert env["DELIVERY_MODE"] == "single"
    assert env["LEADSQUARED_RATE_LIMIT"] == "25/5s"
    # The template no longer declares it: `sam local invoke` would drop it silently.
    assert "LEADSQUARED_CONTAINERS" not in env
    moto = "http://host.docker.internal:5001/123456789012/"
    assert env["ACTIVITY_QUEUE_URL"].startswith(moto)
    assert env["DEAD_LETTER_QUEUE_URL"].startswith(moto)
    assert env["ACTIVITY_QUEUE_URL"] != env["DEAD_LETTER_QUEUE_URL"]
    parameters = template["Parameters"]
    for variable, parameter in (
        ("LEADSQUARED_RATE_LIMIT", "LeadSquaredRateLimitOverride"),
        ("LEADSQUARED_BULK_RATE_LIMIT", "LeadSquaredBulkRateLimitOverride"),
    ):
        if variable in env:
            assert re.fullmatch(parameters[parameter]["AllowedPattern"], env[variable])
    assert env["DELIVERY_MODE"] in parameters["DeliveryMode"]["AllowedValues"]


# --- checkov -------------------------------------------------------------------------------

# Every skip is justified next to the resource; a new one has to be added here on purpose.
EXPECTED_CHECKOV_SKIPS = {
    FUNCTION: {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"},
    "ActivityPosterFunctionLogGroup": {"CKV_AWS_158"},
    QUEUE: {"CKV_AWS_27"},
    DLQ: {"CKV_AWS_27"},
    TABLE: {"CKV_AWS_119"},
    BUDGET_TABLE: {"CKV_AWS_119"},
    API: {"CKV_AWS_73", "CKV_AWS_76", "CKV_AWS_120"},
}


def test_checkov_skips_are_known_and_justified(resources: dict[str, Any]) -> None:
    skipped: dict[str, set[str]] = {}
    for name, resource in resources.items():
        skips = resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        for skip in skips:
            assert len(skip.get("comment", "").split()) >= 5, f"{name} {skip['id']}"
        if skips:
            skipped[name] = {skip["id"] for skip in skips}
    assert skipped == EXPECTED_CHECKOV_SKIPS
    # No reserved concurrency on purpose (the API must get executions): the skip says why.
    (reason,) = [
        " ".join(skip["comment"].split())
        for skip in resources[FUNCTION]["Metadata"]["checkov"]["skip"]
        if skip["id"] == "CKV_AWS_115"
    ]
    for words in ("MaximumConcurrency", "API", "BudgetTable"):
        assert words in reason, words


def test_checkov_passes() -> None:
    if not CHECKOV.is_file():
        pytest.skip(f"checkov is not installed in {CHECKOV.parents[1]} (make lint installs it)")
    result = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(TEMPLATE_PATH),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed checks: 0" in result.stdout, result.stdout


def _contains_no_value(node: Any) -> bool:
    if node is NO_VALUE:
        return True
    if isinstance(node, dict):
        return any(_contains_no_value(value) for value in node.values())
    if isinstance(node, list):
        return any(_contains_no_value(item) for item in node)
    return False


def test_no_value_is_dropped_by_the_evaluator(template: dict[str, Any]) -> None:
    # A leaked AWS::NoValue would make the "property left out" checks above vacuous.
    for overrides in (
        {},
        {"FifoQueue": "true", "EnableIdempotency": "false"},
        {"LeadSquaredDailyLimit": 5000, "LeadSquaredRateLimitOverride": "40/5s"},
    ):
        evaluated = Evaluator(template, overrides).eval(template["Resources"])
        assert not _contains_no_value(evaluated), overrides


# --- samconfig.toml ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samconfig() -> dict[str, Any]:
    with SAMCONFIG_PATH.open("rb") as handle:
        return tomllib.load(handle)


def test_samconfig_deploys_the_project_stack(samconfig: dict[str, Any]) -> None:
    assert samconfig["version"] == 0.1
    deploy = samconfig["default"]["deploy"]["parameters"]
    assert deploy["stack_name"] == "leadsquared-activity-poster"
    assert samconfig["default"]["global"]["parameters"]["stack_name"] == deploy["stack_name"]
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    # The stack name the tests evaluate the template with (the API's name on the dashboard).
    assert Evaluator({"Parameters": {}}).values["AWS::StackName"] == deploy["stack_name"]


def test_samconfig_leaves_the_region_to_the_aws_configuration(samconfig: dict[str, Any]) -> None:
    def keys(node: Any) -> set[str]:
        if not isinstance(node, dict):
            return set()
        return set(node) | {key for value in node.values() for key in keys(value)}

    assert "region" not in keys(samconfig)
    text = SAMCONFIG_PATH.read_text(encoding="utf-8")
    assert "region" in text.lower()  # the comment that says where it comes from


def test_samconfig_capabilities_are_what_the_template_needs(
    template: dict[str, Any], samconfig: dict[str, Any]
) -> None:
    resources = template["Resources"]
    # SAM creates an IAM role for a function without Role: CAPABILITY_IAM.
    assert "Role" not in resources[FUNCTION]["Properties"]
    # No named IAM resources (CAPABILITY_NAMED_IAM) ...
    named = {"RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName"}
    for name, resource in resources.items():
        if resource["Type"].startswith("AWS::IAM::"):
            assert not named & set(resource.get("Properties", {})), name
    # ... and no macro or nested application (CAPABILITY_AUTO_EXPAND).
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert not any(
        resource["Type"] in {"AWS::Serverless::Application", "AWS::CloudFormation::Stack"}
        for resource in resources.values()
    )
    assert samconfig["default"]["deploy"]["parameters"]["capabilities"] == "CAPABILITY_IAM"
