"""Checks on template.yaml and the sample events in events/.

The template is read with the loader and evaluator in cfn.py; test_operations.py covers
idempotency, FIFO, alarms, the dashboard and tracing.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.template.cfn import (
    API,
    BUDGET_TABLE,
    DLQ,
    ENV_FILE,
    EVENTS_DIR,
    FUNCTION,
    QUEUE,
    ROOT,
    TEMPLATE_PATH,
    Evaluator,
    cfn_lint_command,
    events_of_type,
    function_grants,
    function_property,
    references,
)

FOURTEEN_DAYS = 14 * 24 * 60 * 60

# The longest one LeadSquared call may take, as the function reckons it: connect timeout +
# read timeout + deadline margin, each a variable with the function's default when unset.
CALL_BUDGET_VARIABLES = {
    "LEADSQUARED_CONNECT_TIMEOUT": 3.05,
    "LEADSQUARED_READ_TIMEOUT": 10.0,
    "DEADLINE_MARGIN_SECONDS": 1.0,
}

# Variables SAM CLI sets from the caller's AWS session rather than from the template.
SAM_LOCAL_AWS_VARIABLES = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
}


# --- Function ------------------------------------------------------------------------------


def test_runtime_is_python_3_13_on_arm64(template: dict[str, Any]) -> None:
    assert function_property(template, "Runtime") == "python3.13"
    assert function_property(template, "Architectures") == ["arm64"]


def test_memory_and_timeout_come_from_parameters(template: dict[str, Any]) -> None:
    assert function_property(template, "MemorySize") == {"Ref": "MemorySize"}
    assert function_property(template, "Timeout") == {"Ref": "FunctionTimeout"}
    assert template["Parameters"]["MemorySize"]["Default"] == 256
    assert template["Parameters"]["FunctionTimeout"]["Default"] == 30


def _full_call_seconds(template: dict[str, Any]) -> float:
    variables = Evaluator(template).eval(function_property(template, "Environment")["Variables"])
    return sum(
        float(variables.get(name) or default) for name, default in CALL_BUDGET_VARIABLES.items()
    )


def test_every_allowed_function_timeout_fits_one_full_length_call(
    template: dict[str, Any],
) -> None:
    # The template leaves the three variables at the function's defaults: 14.05 s.
    budget = _full_call_seconds(template)
    assert budget == pytest.approx(14.05)
    parameter = template["Parameters"]["FunctionTimeout"]
    allowed = parameter["AllowedValues"]
    assert 10 not in allowed
    assert min(allowed) == 15
    for timeout in allowed:
        assert timeout >= budget, timeout
    assert parameter["Default"] in allowed


def test_function_timeout_refusal_says_why(template: dict[str, Any]) -> None:
    # CloudFormation shows the ConstraintDescription when a value is not in AllowedValues.
    parameter = template["Parameters"]["FunctionTimeout"]
    constraint = " ".join(parameter["ConstraintDescription"].split())
    assert constraint.count(". ") == 0 and constraint.endswith("."), "one sentence"
    for words in ("at least 15", "3.05 s", "10 s", "1 s margin"):
        assert words in constraint, words
    description = " ".join(parameter["Description"].split())
    assert "at least 15" in description
    assert "NotTriedAlarm" in description


def test_visibility_mapping_has_exactly_the_allowed_function_timeouts(
    template: dict[str, Any],
) -> None:
    allowed = template["Parameters"]["FunctionTimeout"]["AllowedValues"]
    mapping = template["Mappings"]["VisibilityTimeoutByFunctionTimeout"]
    assert sorted(mapping, key=int) == [str(timeout) for timeout in allowed]


def test_handler_points_at_lambda_handler_in_src(template: dict[str, Any]) -> None:
    handler = function_property(template, "Handler")
    assert handler == "activity_poster.handler.lambda_handler"
    code_uri = function_property(template, "CodeUri")
    assert code_uri.rstrip("/") == "src"

    module, _, attribute = handler.rpartition(".")
    module_file = ROOT / code_uri / (module.replace(".", "/") + ".py")
    assert module_file.is_file(), f"{module_file} does not exist"
    tree = ast.parse(module_file.read_text(encoding="utf-8"))
    defined = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    defined |= {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    defined |= {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert attribute in defined, f"{module_file} does not define {attribute}"


def test_environment_variables_come_from_parameters(template: dict[str, Any]) -> None:
    variables = function_property(template, "Environment")["Variables"]
    from_parameters = {
        "LEADSQUARED_API_URL": "LeadSquaredApiUrl",
        "LEADSQUARED_SECRET_ID": "LeadSquaredSecretId",
        "DELIVERY_MODE": "DeliveryMode",
        "LEADSQUARED_SCHEMA_CHECK": "SchemaCheck",
        "LEAD_POLICY": "LeadPolicy",
        "RETRY_BACKOFF_BASE_SECONDS": "RetryBackoffBaseSeconds",
        "MAX_RECEIVE_COUNT": "MaxReceiveCount",
        "RETRY_BACKOFF_MAX_SECONDS": "RetryBackoffMaxSeconds",
        "IDEMPOTENCY_EXPIRY_SECONDS": "IdempotencyWindowSeconds",
        "POWERTOOLS_LOG_LEVEL": "LogLevel",
    }
    for variable, parameter in from_parameters.items():
        assert variables[variable] == {"Ref": parameter}, variable
        assert parameter in template["Parameters"], parameter
    # The rate limits come from LeadSquaredPlan (test_operations.py); the containers share them
    # through the budget table, so nothing tells the function how many containers there are.
    assert "LEADSQUARED_CONTAINERS" not in variables


def test_environment_variables_name_the_queues(template: dict[str, Any]) -> None:
    variables = function_property(template, "Environment")["Variables"]
    # Ref of an AWS::SQS::Queue is its URL.
    assert variables["ACTIVITY_QUEUE_URL"] == {"Ref": QUEUE}
    assert variables["DEAD_LETTER_QUEUE_URL"] == {"Ref": DLQ}


def test_pydantic_plugins_are_not_searched(template: dict[str, Any]) -> None:
    # The function uses none; the search scans every installed package in each cold start.
    variables = function_property(template, "Environment")["Variables"]
    assert variables["PYDANTIC_DISABLE_PLUGINS"] == "__all__"


def test_powertools_settings(template: dict[str, Any]) -> None:
    variables = function_property(template, "Environment")["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "leadsquared-activity-poster"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "LeadSquaredActivityPoster"
    # Responses and errors may carry personal data: never in traces.
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"


def test_environment_values_are_strings_for_every_parameter_choice(
    template: dict[str, Any],
) -> None:
    # Lambda takes string values only; a bare YAML boolean or a null would fail the deploy.
    choices = [
        {},
        {"FifoQueue": "true", "EnableIdempotency": "false", "EnableTracing": "true"},
        {"LeadSquaredPlan": "Super", "LeadSquaredDailyLimit": 120000},
        {"LeadSquaredRateLimitOverride": "30/5s", "LeadSquaredBulkRateLimitOverride": "2/5s"},
    ]
    for overrides in choices:
        variables = Evaluator(template, overrides).eval(
            function_property(template, "Environment")["Variables"]
        )
        for name, value in variables.items():
            assert value is not None, name
            assert not isinstance(value, bool), name
            assert isinstance(value, str | int | dict), name


def test_deployed_environment_is_inert_for_local_only_variables(template: dict[str, Any]) -> None:
    variables = function_property(template, "Environment")["Variables"]
    assert variables.get("AWS_ENDPOINT_URL", "") == ""
    assert str(variables.get("LEADSQUARED_ALLOW_HTTP", "false")).lower() == "false"


def test_parameter_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    pattern = parameters["LeadSquaredApiUrl"]["AllowedPattern"]
    assert re.fullmatch(pattern, "https://api-in21.leadsquared.com")
    assert re.fullmatch(pattern, "https://api.leadsquared.com")
    assert not re.fullmatch(pattern, "http://api-in21.leadsquared.com")
    assert not re.fullmatch(pattern, "https://api-in21.leadsquared.com/")
    # The plan's limits unless overridden; the daily limit is not counted unless given.
    assert parameters["LeadSquaredRateLimitOverride"]["Default"] == ""
    assert parameters["LeadSquaredBulkRateLimitOverride"]["Default"] == ""
    assert parameters["LeadSquaredDailyLimit"]["Default"] == 0
    assert parameters["DeliveryMode"]["Default"] == "single"
    assert sorted(parameters["DeliveryMode"]["AllowedValues"]) == ["auto", "bulk", "single"]
    assert parameters["RetryBackoffBaseSeconds"]["Default"] == 30
    assert parameters["RetryBackoffMaxSeconds"]["Default"] == 900
    assert parameters["LogLevel"]["Default"] == "INFO"
    assert parameters["MaxReceiveCount"]["Default"] == 5
    assert parameters["MaxReceiveCount"]["MinValue"] == 1


def test_api_url_is_required_and_says_where_to_find_it(template: dict[str, Any]) -> None:
    # A default host would be another region's for most accounts, which refuses their keys.
    parameter = template["Parameters"]["LeadSquaredApiUrl"]
    assert "Default" not in parameter
    description = " ".join(parameter["Description"].split())
    assert "Settings > API and Webhooks" in description
    assert "https://api.leadsquared.com" in description


def test_only_the_api_url_and_the_plan_have_no_default(template: dict[str, Any]) -> None:
    # The evaluator answers these as a deployment must (REQUIRED_ANSWERS in cfn.py).
    required = {name for name, spec in template["Parameters"].items() if "Default" not in spec}
    assert required == {"LeadSquaredApiUrl", "LeadSquaredPlan"}


@pytest.mark.parametrize(
    "secret_id",
    [
        "leadsquared/api-keys",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:leadsquared/api-keys-AbCdEf",
    ],
)
def test_secret_id_pattern_accepts_names_and_arns(template: dict[str, Any], secret_id: str) -> None:
    assert re.fullmatch(template["Parameters"]["LeadSquaredSecretId"]["AllowedPattern"], secret_id)


def test_log_group_keeps_function_logs_for_a_limited_time(resources: dict[str, Any]) -> None:
    groups = [r for r in resources.values() if r["Type"] == "AWS::Logs::LogGroup"]
    names = [g["Properties"]["LogGroupName"] for g in groups]
    assert {"Fn::Sub": f"/aws/lambda/${{{FUNCTION}}}"} in names
    for group in groups:
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}


# --- Secrets Manager permissions -----------------------------------------------------------


def test_no_broad_or_managed_secret_policies(function: dict[str, Any]) -> None:
    for policy in function["Properties"].get("Policies", []):
        if isinstance(policy, str):
            assert "secret" not in policy.lower(), f"managed policy {policy} grants secret access"
        elif isinstance(policy, dict) and "Statement" not in policy:
            # SAM policy templates such as AWSSecretsManagerGetSecretValuePolicy.
            assert not any("secret" in name.lower() for name in policy), policy
    for grant in function_grants(function):
        assert "*" not in grant.actions
        if any(a.lower().startswith("secretsmanager:") for a in grant.actions):
            assert "secretsmanager:*" not in [a.lower() for a in grant.actions]
            for resource in grant.resources:
                assert resource != "*"


def test_function_reads_exactly_the_configured_secret(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    grants = [
        grant
        for grant in function_grants(function)
        if any(a.lower().startswith("secretsmanager:") for a in grant.actions)
    ]
    assert len(grants) == 1
    (grant,) = grants
    assert grant.condition is None
    assert grant.statement.get("Effect") == "Allow"
    assert grant.actions == ["secretsmanager:GetSecretValue"]
    resources = grant.resources
    assert len(resources) == 1
    assert references(resources[0], "LeadSquaredSecretId")

    by_name = Evaluator(template, {"LeadSquaredSecretId": "leadsquared/api-keys"})
    assert by_name.eval(resources[0]) == (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:leadsquared/api-keys-??????"
    )
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/leadsquared-Xy12Z9"
    by_arn = Evaluator(template, {"LeadSquaredSecretId": arn})
    assert by_arn.eval(resources[0]) == arn


# --- Queues --------------------------------------------------------------------------------


def test_dead_letter_queue_keeps_messages_for_14_days(resources: dict[str, Any]) -> None:
    assert resources[DLQ]["Type"] == "AWS::SQS::Queue"
    assert resources[DLQ]["Properties"]["MessageRetentionPeriod"] == FOURTEEN_DAYS


def test_dead_letter_queue_outlives_the_stack(resources: dict[str, Any]) -> None:
    # Its messages are activities that were never posted: kept on stack deletion and when a
    # FifoQueue change replaces the queue.
    assert resources[DLQ]["DeletionPolicy"] == "Retain"
    assert resources[DLQ]["UpdateReplacePolicy"] == "Retain"


def test_queues_are_encrypted(resources: dict[str, Any]) -> None:
    for name in (QUEUE, DLQ):
        properties = resources[name]["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties


def test_redrive_policy_targets_dlq_with_parameterised_receive_count(
    resources: dict[str, Any],
) -> None:
    redrive = resources[QUEUE]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [DLQ, "Arn"]}
    assert redrive["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}


def _visibility_timeout(template: dict[str, Any], function_timeout: int) -> int:
    evaluator = Evaluator(template, {"FunctionTimeout": function_timeout})
    return int(evaluator.eval(template["Resources"][QUEUE]["Properties"]["VisibilityTimeout"]))


def test_default_visibility_timeout_is_at_least_six_function_timeouts(
    template: dict[str, Any],
) -> None:
    default_timeout = template["Parameters"]["FunctionTimeout"]["Default"]
    assert _visibility_timeout(template, default_timeout) >= 6 * default_timeout


def test_every_allowed_function_timeout_keeps_the_visibility_rule(
    template: dict[str, Any],
) -> None:
    parameters = template["Parameters"]
    allowed = parameters["FunctionTimeout"].get("AllowedValues")
    assert allowed, "FunctionTimeout must be restricted for the visibility timeout lookup"
    max_window = parameters["MaximumBatchingWindowInSeconds"]["MaxValue"]
    for timeout in allowed:
        visibility = _visibility_timeout(template, timeout)
        assert visibility >= 6 * timeout + max_window, timeout
        assert visibility <= 43200, timeout  # the SQS maximum


# --- SQS event source ----------------------------------------------------------------------


def test_sqs_event_reports_partial_batch_failures(function: dict[str, Any]) -> None:
    (sqs,) = events_of_type(function, "SQS")
    assert sqs["Queue"] == {"Fn::GetAtt": [QUEUE, "Arn"]}
    assert "ReportBatchItemFailures" in sqs["FunctionResponseTypes"]


def test_sqs_event_concurrency_is_capped_by_parameter(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    (sqs,) = events_of_type(function, "SQS")
    assert sqs["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "MaximumConcurrency"}
    parameter = template["Parameters"]["MaximumConcurrency"]
    assert parameter["Default"] == 2
    assert parameter["MinValue"] == 2
    assert parameter["MaxValue"] == 1000


def test_sqs_event_batching_comes_from_parameters(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    (sqs,) = events_of_type(function, "SQS")
    assert sqs["BatchSize"] == {"Ref": "BatchSize"}
    # FIFO queues do not support a batching window: it is left out for them.
    assert sqs["MaximumBatchingWindowInSeconds"] == {
        "Fn::If": ["IsFifo", {"Ref": "AWS::NoValue"}, {"Ref": "MaximumBatchingWindowInSeconds"}]
    }
    standard = Evaluator(template, {"FifoQueue": "false", "MaximumBatchingWindowInSeconds": 7})
    assert standard.eval(sqs)["MaximumBatchingWindowInSeconds"] == 7
    fifo = Evaluator(template, {"FifoQueue": "true", "MaximumBatchingWindowInSeconds": 7})
    assert "MaximumBatchingWindowInSeconds" not in fifo.eval(sqs)


# --- API -----------------------------------------------------------------------------------


def test_api_requires_an_api_key_with_a_throttled_usage_plan(resources: dict[str, Any]) -> None:
    api = resources[API]
    assert api["Type"] == "AWS::Serverless::Api"
    properties = api["Properties"]
    assert properties["StageName"] == "v1"
    auth = properties["Auth"]
    assert auth["ApiKeyRequired"] is True
    usage_plan = auth["UsagePlan"]
    assert usage_plan["CreateUsagePlan"] == "PER_API"
    # The plan's throttle unless the parameters give one (test_operations.py checks values).
    assert references(usage_plan["Throttle"]["RateLimit"], "ApiThrottleRateLimit")
    assert references(usage_plan["Throttle"]["RateLimit"], "LeadSquaredPlan")
    assert references(usage_plan["Throttle"]["BurstLimit"], "ApiThrottleBurstLimit")
    assert references(usage_plan["Throttle"]["BurstLimit"], "LeadSquaredPlan")


def test_api_routes_are_post_activities_and_post_activities_batch(
    function: dict[str, Any],
) -> None:
    routes = events_of_type(function, "Api")
    assert sorted((route["Path"], route["Method"].lower()) for route in routes) == [
        ("/activities", "post"),
        ("/activities/batch", "post"),
    ]
    for route in routes:
        assert route["RestApiId"] == {"Ref": API}
        # Must not opt out of the API-wide key requirement.
        assert route.get("Auth", {}).get("ApiKeyRequired", True) is True


# --- Outputs -------------------------------------------------------------------------------


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["ActivityQueueUrl"]["Value"] == {"Ref": QUEUE}
    assert outputs["ActivityQueueArn"]["Value"] == {"Fn::GetAtt": [QUEUE, "Arn"]}
    assert outputs["DeadLetterQueueUrl"]["Value"] == {"Ref": DLQ}
    assert outputs["FunctionName"]["Value"] == {"Ref": FUNCTION}
    assert outputs["BudgetTableName"]["Value"] == {"Ref": BUDGET_TABLE}
    assert "Condition" not in outputs["BudgetTableName"]
    # SAM names the key it creates for a PER_API usage plan <ApiLogicalId>ApiKey.
    assert outputs["ApiKeyId"]["Value"] == {"Ref": f"{API}ApiKey"}
    api_url = Evaluator(template).eval(outputs["ApiUrl"]["Value"])
    assert api_url == f"https://${{{API}}}.execute-api.us-east-1.amazonaws.com/v1/activities"
    batch_url = Evaluator(template).eval(outputs["BatchApiUrl"]["Value"])
    assert batch_url == api_url + "/batch"


# --- Events --------------------------------------------------------------------------------

EVENT_FILES = sorted(p for p in EVENTS_DIR.glob("*.json") if p.name != ENV_FILE.name)


def _load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def test_event_files_exist() -> None:
    names = {p.name for p in EVENT_FILES}
    assert {
        "sqs-batch-valid.json",
        "sqs-batch-mixed.json",
        "sqs-sns-wrapped.json",
        "api-v1-post.json",
        "api-v2-post.json",
        "api-invalid.json",
    } <= names


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda p: p.name)
def test_event_file_is_valid_json(path: Path) -> None:
    assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)


def test_valid_sqs_batch_bodies_are_activities() -> None:
    records = _load_event("sqs-batch-valid.json")["Records"]
    assert len(records) == 3
    assert len({r["messageId"] for r in records}) == 3
    for record in records:
        assert record["eventSource"] == "aws:sqs"
        body = json.loads(record["body"])
        assert "ActivityEvent" in body


def test_mixed_sqs_batch_has_six_distinct_records() -> None:
    records = _load_event("sqs-batch-mixed.json")["Records"]
    assert len(records) == 6
    assert len({r["messageId"] for r in records}) == 6


def test_sns_wrapped_body_carries_an_activity() -> None:
    (record,) = _load_event("sqs-sns-wrapped.json")["Records"]
    envelope = json.loads(record["body"])
    assert envelope["Type"] == "Notification"
    assert "ActivityEvent" in json.loads(envelope["Message"])


@pytest.mark.parametrize("name", ["api-v1-post.json", "api-invalid.json"])
def test_rest_api_events_post_to_activities(name: str) -> None:
    event = _load_event(name)
    assert event["httpMethod"] == "POST"
    assert event["resource"] == event["path"] == "/activities"
    assert event["requestContext"]["stage"] == "v1"
    assert event["isBase64Encoded"] is False
    assert isinstance(json.loads(event["body"]), dict)


def test_http_api_event_posts_to_activities() -> None:
    event = _load_event("api-v2-post.json")
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /activities"
    assert event["rawPath"] == "/activities"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert all(header == header.lower() for header in event["headers"])
    assert "ActivityEvent" in json.loads(event["body"])


def test_env_file_only_sets_variables_sam_local_applies(template: dict[str, Any]) -> None:
    # `sam local invoke --env-vars` overrides only variables the template declares (plus the
    # AWS credentials and region, which SAM CLI takes from the caller's session); any other
    # entry would be silently dropped.
    env = json.loads(ENV_FILE.read_text(encoding="utf-8"))
    assert set(env) == {FUNCTION}
    declared = set(function_property(template, "Environment")["Variables"])
    assert set(env[FUNCTION]) - SAM_LOCAL_AWS_VARIABLES <= declared


# --- Linting -------------------------------------------------------------------------------


def test_cfn_lint_passes() -> None:
    command = cfn_lint_command()
    if command is None:
        pytest.skip("cfn-lint is not installed")
    result = subprocess.run(
        [*command, str(TEMPLATE_PATH)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
