"""Checks on template.yaml: rate-limit sharing, least privilege, idempotency, FIFO, tracing,
alarms, the dashboard, events/env.json and checkov."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from tests.template.cfn import (
    API,
    DLQ,
    ENV_FILE,
    FUNCTION,
    NO_VALUE,
    QUEUE,
    ROOT,
    TABLE,
    TEMPLATE_PATH,
    TOPIC,
    Evaluator,
    events_of_type,
    function_grants,
    function_property,
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
    "UpstreamLatency",
    "ColdStart",
)
IDEMPOTENCY_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
}
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"


def _variables(template: dict[str, Any]) -> dict[str, Any]:
    return function_property(template, "Environment")["Variables"]


def _calls_per_window(limit: str) -> tuple[int, float]:
    calls, _, window = limit.partition("/")
    return int(calls), float(window.removesuffix("s"))


# --- LeadSquared rate limits shared by the containers ---------------------------------------


@pytest.mark.parametrize("parameter", ["LeadSquaredRateLimit", "LeadSquaredBulkRateLimit"])
@pytest.mark.parametrize(
    ("value", "accepted"),
    [
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
        ("", False),
    ],
)
def test_rate_limit_patterns(
    template: dict[str, Any], parameter: str, value: str, accepted: bool
) -> None:
    pattern = template["Parameters"][parameter]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted


def test_default_concurrency_fits_the_default_plan_limits(template: dict[str, Any]) -> None:
    # The function refuses to start when a container's share is below one call per window.
    parameters = template["Parameters"]
    containers = parameters["MaximumConcurrency"]["Default"]
    for name in ("LeadSquaredRateLimit", "LeadSquaredBulkRateLimit"):
        calls, _ = _calls_per_window(parameters[name]["Default"])
        assert containers <= calls, name


def test_constraint_on_maximum_concurrency_is_written_down(template: dict[str, Any]) -> None:
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert re.search(r"^# - MaximumConcurrency must not exceed the calls per window", text, re.M)
    description = " ".join(template["Parameters"]["MaximumConcurrency"]["Description"].split())
    assert "LEADSQUARED_CONTAINERS" in description
    assert "must not exceed the calls per window" in description.lower()


def test_reserved_concurrency_is_maximum_concurrency_when_enabled(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    assert function["Properties"]["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "ReserveConcurrencyEnabled",
            {"Ref": "MaximumConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    parameter = template["Parameters"]["ReserveConcurrency"]
    assert parameter["Default"] == "true"
    assert sorted(parameter["AllowedValues"]) == ["false", "true"]
    on = Evaluator(template, {"MaximumConcurrency": 7})
    assert on.condition("ReserveConcurrencyEnabled")
    assert on.eval(function["Properties"])["ReservedConcurrentExecutions"] == 7
    off = Evaluator(template, {"ReserveConcurrency": "false"})
    assert "ReservedConcurrentExecutions" not in off.eval(function["Properties"])


def test_reserve_concurrency_description_explains_the_trade_off(template: dict[str, Any]) -> None:
    description = " ".join(template["Parameters"]["ReserveConcurrency"]["Description"].split())
    for words in ("SQS", "API", "MaximumConcurrency", "quota", "false"):
        assert words in description, words


def test_api_throttle_defaults_match_the_plan_steady_rate(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    calls, window = _calls_per_window(parameters["LeadSquaredRateLimit"]["Default"])
    rate = parameters["ApiThrottleRateLimit"]["Default"]
    burst = parameters["ApiThrottleBurstLimit"]["Default"]
    assert rate == calls / window == 5
    assert burst == 10
    assert rate <= burst <= calls
    for name in ("ApiThrottleRateLimit", "ApiThrottleBurstLimit"):
        description = " ".join(parameters[name]["Description"].split())
        assert "25 calls per 5 s" in description, name
        assert "/activities/batch" in description, name


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


def test_dynamodb_access_only_on_the_idempotency_table_and_only_when_enabled(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    dynamodb = [
        grant
        for grant in function_grants(function)
        if any(action.startswith("dynamodb:") for action in grant.actions)
    ]
    assert len(dynamodb) == 1
    (grant,) = dynamodb
    assert set(grant.actions) == IDEMPOTENCY_ACTIONS
    assert len(grant.actions) == len(IDEMPOTENCY_ACTIONS)
    assert grant.resources == [{"Fn::GetAtt": [TABLE, "Arn"]}]
    assert grant.condition == "IdempotencyEnabled"
    assert template["Resources"][TABLE]["Condition"] == "IdempotencyEnabled"

    def dynamodb_actions(overrides: dict[str, str]) -> set[str]:
        policies = Evaluator(template, overrides).eval(function["Properties"]["Policies"])
        return {
            action
            for policy in policies
            for statement in policy["Statement"]
            for action in statement["Action"]
            if str(action).startswith("dynamodb:")
        }

    assert dynamodb_actions({"EnableIdempotency": "true"}) == IDEMPOTENCY_ACTIONS
    assert dynamodb_actions({"EnableIdempotency": "false"}) == set()


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
}

# Words each alarm's description must contain: what to change.
ALARM_REMEDIES = {
    "NotTriedAlarm": ("FunctionTimeout", "BatchSize", "14.05 s"),
    "ConfigurationFaultAlarm": ("LEADSQUARED_API_URL", "LeadSquaredApiUrl"),
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
    for name in ("NotTriedAlarm", "ConfigurationFaultAlarm"):
        properties = resources[name]["Properties"]
        for key in shared:
            assert properties[key] == model[key], (name, key)


def test_alarms_watch_the_metrics_the_function_emits(template: dict[str, Any]) -> None:
    variables = _variables(template)
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE


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
    assert env["LEADSQUARED_CONTAINERS"] == "1"
    moto = "http://host.docker.internal:5001/123456789012/"
    assert env["ACTIVITY_QUEUE_URL"].startswith(moto)
    assert env["DEAD_LETTER_QUEUE_URL"].startswith(moto)
    assert env["ACTIVITY_QUEUE_URL"] != env["DEAD_LETTER_QUEUE_URL"]
    parameters = template["Parameters"]
    for variable, parameter in (
        ("LEADSQUARED_RATE_LIMIT", "LeadSquaredRateLimit"),
        ("LEADSQUARED_BULK_RATE_LIMIT", "LeadSquaredBulkRateLimit"),
    ):
        if variable in env:
            assert re.fullmatch(parameters[parameter]["AllowedPattern"], env[variable])
    assert env["DELIVERY_MODE"] in parameters["DeliveryMode"]["AllowedValues"]


# --- checkov -------------------------------------------------------------------------------

# Every skip is justified next to the resource; a new one has to be added here on purpose.
EXPECTED_CHECKOV_SKIPS = {
    FUNCTION: {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"},
    "ActivityPosterFunctionLogGroup": {"CKV_AWS_158"},
    QUEUE: {"CKV_AWS_27"},
    DLQ: {"CKV_AWS_27"},
    TABLE: {"CKV_AWS_119"},
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
    # Reserved concurrency is set (conditionally) now: CKV_AWS_115 must pass, not be skipped.
    assert "CKV_AWS_115" not in skipped[FUNCTION]


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
    for overrides in ({}, {"FifoQueue": "true", "ReserveConcurrency": "false"}):
        evaluated = Evaluator(template, overrides).eval(template["Resources"])
        assert not _contains_no_value(evaluated), overrides
