"""Settings.from_env: what the function's environment must hold, and what each error names."""

from __future__ import annotations

import pydantic
import pytest

from activity_poster.deadline import CallTimes
from activity_poster.ratelimit import RateLimit
from activity_poster.settings import ConfigurationError, DeliveryMode, Settings, flag

URL = "LEADSQUARED_API_URL"
SECRET = "LEADSQUARED_SECRET_ID"
CONNECT = "LEADSQUARED_CONNECT_TIMEOUT"
READ = "LEADSQUARED_READ_TIMEOUT"
MAX_AGE = "LEADSQUARED_SECRET_MAX_AGE"
ALLOW_HTTP = "LEADSQUARED_ALLOW_HTTP"

BASE = {URL: "https://api-in21.leadsquared.com", SECRET: "leadsquared/api-keys"}


def env(**overrides: str | None) -> dict[str, str]:
    merged: dict[str, str | None] = {**BASE, **overrides}
    return {name: value for name, value in merged.items() if value is not None}


def refused(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(environ)
    return str(caught.value)


def test_defaults() -> None:
    assert Settings.from_env(env()) == Settings(
        api_url="https://api-in21.leadsquared.com",
        secret_id="leadsquared/api-keys",
        connect_timeout=3.05,
        read_timeout=10.0,
        secret_max_age=300,
    )


def test_settings_are_frozen() -> None:
    settings = Settings.from_env(env())
    with pytest.raises(pydantic.ValidationError):
        settings.read_timeout = 1.0  # type: ignore[misc]


def test_call_times() -> None:
    settings = Settings.from_env(env(**{CONNECT: "2", READ: "5", "DEADLINE_MARGIN_SECONDS": "0.5"}))
    assert settings.call_times == CallTimes(connect=2.0, read=5.0, margin=0.5)


@pytest.mark.parametrize(
    ("raw", "api_url"),
    [
        pytest.param(
            "https://api-in21.leadsquared.com", "https://api-in21.leadsquared.com", id="https"
        ),
        pytest.param(
            "https://api-in21.leadsquared.com/",
            "https://api-in21.leadsquared.com",
            id="trailing-slash-stripped",
        ),
        pytest.param(
            "  https://api.leadsquared.com  ", "https://api.leadsquared.com", id="spaces-stripped"
        ),
        pytest.param(
            "https://api-us11.leadsquared.com:443",
            "https://api-us11.leadsquared.com:443",
            id="port",
        ),
        pytest.param("http://127.0.0.1:8080", "http://127.0.0.1:8080", id="http-loopback-ipv4"),
        pytest.param("http://127.5.5.5/", "http://127.5.5.5", id="http-other-loopback-ipv4"),
        pytest.param("http://localhost:3000", "http://localhost:3000", id="http-localhost"),
        pytest.param("http://[::1]:8080/", "http://[::1]:8080", id="http-loopback-ipv6"),
        pytest.param(
            "https://api-in21.leadsquared.com/v2",
            "https://api-in21.leadsquared.com",
            id="v2-stripped",
        ),
        pytest.param(
            "https://api-in21.leadsquared.com/v2/",
            "https://api-in21.leadsquared.com",
            id="v2-slash-stripped",
        ),
        pytest.param(
            "https://api-us11.leadsquared.com:8443/v2/",
            "https://api-us11.leadsquared.com:8443",
            id="v2-stripped-port-kept",
        ),
        pytest.param("http://localhost:3000/v2", "http://localhost:3000", id="v2-loopback"),
    ],
)
def test_accepted_urls(raw: str, api_url: str) -> None:
    assert Settings.from_env(env(LEADSQUARED_API_URL=raw)).api_url == api_url


@pytest.mark.parametrize("flag", ["true", "True", "TRUE"])
def test_allow_http_flag_accepts_plain_http(flag: str) -> None:
    settings = Settings.from_env(
        env(LEADSQUARED_API_URL="http://host.docker.internal:8080", LEADSQUARED_ALLOW_HTTP=flag)
    )
    assert settings.api_url == "http://host.docker.internal:8080"


@pytest.mark.parametrize("flag", ["false", "0", "", "no"])
def test_allow_http_flag_off_keeps_refusing_plain_http(flag: str) -> None:
    message = refused(
        env(LEADSQUARED_API_URL="http://host.docker.internal:8080", LEADSQUARED_ALLOW_HTTP=flag)
    )
    assert URL in message


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("http://api-in21.leadsquared.com", id="plain-http"),
        pytest.param("http://127.0.0.1.nip.io", id="http-loopback-lookalike"),
        pytest.param("http://10.0.0.5", id="http-private-address"),
        pytest.param("not a url", id="garbage"),
        pytest.param("api-in21.leadsquared.com", id="no-scheme"),
        pytest.param("ftp://api-in21.leadsquared.com", id="ftp"),
        pytest.param("https://", id="no-host"),
        pytest.param("https://api-in21.leadsquared.com?accessKey=x", id="query-string"),
        pytest.param("https://api-in21.leadsquared.com/#top", id="fragment"),
        pytest.param("https://user:pass@api-in21.leadsquared.com", id="user-and-password"),
        pytest.param("https://user@api-in21.leadsquared.com", id="user-only"),
    ],
)
def test_refused_urls_name_the_variable(raw: str) -> None:
    assert URL in refused(env(LEADSQUARED_API_URL=raw))


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v3", id="v3"),
        pytest.param("/v2/ProspectActivity.svc", id="endpoint-path"),
        pytest.param("/v2/ProspectActivity.svc/Create", id="full-endpoint"),
        pytest.param("/x", id="other"),
        pytest.param("/api", id="api"),
        pytest.param("/v2x", id="v2-prefix"),
    ],
)
def test_urls_with_a_path_are_refused(path: str) -> None:
    message = refused(env(LEADSQUARED_API_URL="https://api-in21.leadsquared.com" + path))
    assert URL in message
    assert "host only" in message
    assert "https://api-in21.leadsquared.com" in message


def test_url_credentials_are_not_repeated_in_the_error() -> None:
    message = refused(env(LEADSQUARED_API_URL="https://admin:s3cr3t-Pa55@api.leadsquared.com"))
    assert "s3cr3t-Pa55" not in message


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("https://[::1", id="unclosed-ipv6-bracket"),
        pytest.param("https://api-in21.leadsquared.com:abc", id="port-not-a-number"),
        pytest.param("https://api in21.leadsquared.com", id="space-in-host"),
    ],
)
def test_malformed_urls_are_a_configuration_error(raw: str) -> None:
    assert URL in refused(env(LEADSQUARED_API_URL=raw))


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        pytest.param({URL: None}, URL, id="url-missing"),
        pytest.param({URL: ""}, URL, id="url-empty"),
        pytest.param({URL: "   "}, URL, id="url-blank"),
        pytest.param({SECRET: None}, SECRET, id="secret-id-missing"),
        pytest.param({SECRET: " "}, SECRET, id="secret-id-blank"),
        pytest.param({CONNECT: "0"}, CONNECT, id="connect-zero"),
        pytest.param({CONNECT: "-1"}, CONNECT, id="connect-negative"),
        pytest.param({CONNECT: "three"}, CONNECT, id="connect-not-a-number"),
        pytest.param({CONNECT: "nan"}, CONNECT, id="connect-nan"),
        pytest.param({READ: "0"}, READ, id="read-zero"),
        pytest.param({READ: "-0.5"}, READ, id="read-negative"),
        pytest.param({READ: "10s"}, READ, id="read-with-unit"),
        pytest.param({MAX_AGE: "-300"}, MAX_AGE, id="max-age-negative"),
        pytest.param({MAX_AGE: "five minutes"}, MAX_AGE, id="max-age-not-a-number"),
    ],
)
def test_each_error_names_its_variable(overrides: dict[str, str | None], variable: str) -> None:
    assert variable in refused(env(**overrides))


@pytest.mark.parametrize(
    ("overrides", "field", "value"),
    [
        pytest.param({CONNECT: "1.5"}, "connect_timeout", 1.5, id="connect"),
        pytest.param({READ: "29"}, "read_timeout", 29.0, id="read"),
        pytest.param({READ: " 0.25 "}, "read_timeout", 0.25, id="read-with-spaces"),
        pytest.param({MAX_AGE: "60"}, "secret_max_age", 60, id="max-age"),
        pytest.param({CONNECT: ""}, "connect_timeout", 3.05, id="empty-means-default"),
    ],
)
def test_timeouts_are_read(overrides: dict[str, str], field: str, value: float) -> None:
    assert getattr(Settings.from_env(env(**overrides)), field) == value


@pytest.mark.parametrize("variable", [CONNECT, READ])
def test_infinite_timeout_is_refused(variable: str) -> None:
    assert variable in refused(env(**{variable: "inf"}))


def test_infinite_secret_max_age_is_refused() -> None:
    assert MAX_AGE in refused(env(**{MAX_AGE: "inf"}))


def test_fractional_secret_max_age_is_refused() -> None:
    # A fraction would truncate to 0 and silently switch the secret cache off.
    with pytest.raises(ConfigurationError, match=MAX_AGE):
        Settings.from_env(env(**{MAX_AGE: "0.5"}))


def test_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL, "https://api-us11.leadsquared.com/")
    monkeypatch.setenv(SECRET, "prod/leadsquared")
    monkeypatch.setenv(READ, "12")
    settings = Settings.from_env()
    assert settings.api_url == "https://api-us11.leadsquared.com"
    assert settings.secret_id == "prod/leadsquared"
    assert settings.read_timeout == 12.0


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", " yes "])
def test_flag_on(value: str) -> None:
    assert flag(value)


@pytest.mark.parametrize("value", [None, "", "0", "false", "no", "on", "y", "2"])
def test_flag_off(value: str | None) -> None:
    assert not flag(value)


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        pytest.param(None, DeliveryMode.SINGLE, id="default"),
        pytest.param("bulk", DeliveryMode.BULK, id="bulk"),
        pytest.param(" AUTO ", DeliveryMode.AUTO, id="any-case"),
        pytest.param("Single", DeliveryMode.SINGLE, id="single"),
    ],
)
def test_delivery_mode(raw: str | None, mode: DeliveryMode) -> None:
    assert Settings.from_env(env(DELIVERY_MODE=raw)).delivery_mode is mode


def test_unknown_delivery_mode_names_the_variable() -> None:
    message = refused(env(DELIVERY_MODE="batch"))
    assert "DELIVERY_MODE" in message
    assert "batch" in message


@pytest.mark.parametrize(
    ("overrides", "limit"),
    [
        pytest.param({}, None, id="unset"),
        pytest.param({"LEADSQUARED_RATE_LIMIT": "None"}, None, id="none"),
        pytest.param({"LEADSQUARED_RATE_LIMIT": "25/5s"}, RateLimit(25, 5.0), id="one-container"),
        pytest.param(
            {"LEADSQUARED_RATE_LIMIT": "25/5s", "LEADSQUARED_CONTAINERS": "4"},
            RateLimit(6, 5.0),
            id="shared",
        ),
    ],
)
def test_rate_limit_share(overrides: dict[str, str], limit: RateLimit | None) -> None:
    assert Settings.from_env(env(**overrides)).rate_limit == limit


def test_bulk_rate_limit_is_shared_too() -> None:
    settings = Settings.from_env(
        env(LEADSQUARED_BULK_RATE_LIMIT="100/5s", LEADSQUARED_CONTAINERS="3")
    )
    assert settings.bulk_rate_limit == RateLimit(33, 5.0)
    assert settings.rate_limit is None


def test_too_many_containers_names_both_variables() -> None:
    message = refused(env(LEADSQUARED_RATE_LIMIT="2/5s", LEADSQUARED_CONTAINERS="3"))
    assert "LEADSQUARED_RATE_LIMIT" in message
    assert "LEADSQUARED_CONTAINERS" in message


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        pytest.param({"LEADSQUARED_RATE_LIMIT": "25 per 5s"}, "LEADSQUARED_RATE_LIMIT", id="rate"),
        pytest.param(
            {"LEADSQUARED_BULK_RATE_LIMIT": "0/5s"}, "LEADSQUARED_BULK_RATE_LIMIT", id="bulk"
        ),
        pytest.param(
            {"LEADSQUARED_RATE_LIMIT": "25/5s", "LEADSQUARED_CONTAINERS": "0"},
            "LEADSQUARED_CONTAINERS",
            id="containers",
        ),
        pytest.param({"DELIVERY_WORKERS": "0"}, "DELIVERY_WORKERS", id="workers"),
        pytest.param({"MAX_RECEIVE_COUNT": "-1"}, "MAX_RECEIVE_COUNT", id="max-receive-count"),
        pytest.param(
            {"RETRY_BACKOFF_BASE_SECONDS": "soon"}, "RETRY_BACKOFF_BASE_SECONDS", id="backoff"
        ),
    ],
)
def test_other_errors_name_their_variable(overrides: dict[str, str], variable: str) -> None:
    assert variable in refused(env(**overrides))


def test_every_error_is_reported_at_once() -> None:
    message = refused(env(LEADSQUARED_API_URL=None, **{READ: "0", MAX_AGE: "x"}))
    assert all(variable in message for variable in (URL, READ, MAX_AGE))


def test_optional_names_and_counts() -> None:
    settings = Settings.from_env(
        env(IDEMPOTENCY_TABLE_NAME=" activities ", MAX_RECEIVE_COUNT="5", ACTIVITY_QUEUE_URL="  ")
    )
    assert settings.idempotency_table == "activities"
    assert settings.max_receive_count == 5
    assert settings.activity_queue_url is None
    assert settings.dead_letter_queue_url is None
