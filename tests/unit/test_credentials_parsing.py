"""The secret's shape: {"accessKey", "secretKey"}, and keys that never reach a message."""

from __future__ import annotations

from typing import Any

import pytest

from activity_poster.credentials import ApiKeys, CredentialsError, _parse_keys

SECRET_ID = "leadsquared/api-keys"
ACCESS = "u$r7c1a9f3e2b4d8"
SECRET = "9f3e2b4d8c1a7e6f5d4c3b2a1098f7e6d5c4b3a2"


def test_valid_secret() -> None:
    keys = _parse_keys({"accessKey": ACCESS, "secretKey": SECRET}, SECRET_ID)
    assert keys == ApiKeys(access_key=ACCESS, secret_key=SECRET)


def test_surrounding_whitespace_is_trimmed() -> None:
    keys = _parse_keys({"accessKey": f" {ACCESS}\n", "secretKey": f"\t{SECRET} "}, SECRET_ID)
    assert (keys.access_key, keys.secret_key) == (ACCESS, SECRET)


def test_other_keys_in_the_secret_are_ignored() -> None:
    value = {"accessKey": ACCESS, "secretKey": SECRET, "host": "api-in21.leadsquared.com"}
    assert _parse_keys(value, SECRET_ID) == ApiKeys(ACCESS, SECRET)


def test_headers() -> None:
    assert ApiKeys(ACCESS, SECRET).headers() == {
        "x-LSQ-AccessKey": ACCESS,
        "x-LSQ-SecretKey": SECRET,
    }


@pytest.mark.parametrize(
    "value",
    [
        pytest.param([ACCESS, SECRET], id="list"),
        pytest.param(f'{{"accessKey": "{ACCESS}", "secretKey": "{SECRET}"}}', id="json-text"),
        pytest.param(None, id="null"),
        pytest.param(42, id="number"),
    ],
)
def test_non_object_secret_is_refused(value: Any) -> None:
    with pytest.raises(CredentialsError) as caught:
        _parse_keys(value, SECRET_ID)
    message = str(caught.value)
    assert "JSON object" in message
    assert SECRET_ID in message
    assert ACCESS not in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        pytest.param({"secretKey": SECRET}, "accessKey", id="access-key-missing"),
        pytest.param({"accessKey": "", "secretKey": SECRET}, "accessKey", id="access-key-empty"),
        pytest.param({"accessKey": "   ", "secretKey": SECRET}, "accessKey", id="access-key-blank"),
        pytest.param({"accessKey": 1234, "secretKey": SECRET}, "accessKey", id="access-key-number"),
        pytest.param({"accessKey": None, "secretKey": SECRET}, "accessKey", id="access-key-null"),
        pytest.param({"accessKey": ACCESS}, "secretKey", id="secret-key-missing"),
        pytest.param({"accessKey": ACCESS, "secretKey": ""}, "secretKey", id="secret-key-empty"),
        pytest.param(
            {"AccessKey": ACCESS, "SecretKey": SECRET},
            "accessKey and secretKey",
            id="wrong-case-names",
        ),
        pytest.param({}, "accessKey and secretKey", id="both-missing"),
    ],
)
def test_missing_key_is_named_without_values(value: dict[str, Any], missing: str) -> None:
    with pytest.raises(CredentialsError) as caught:
        _parse_keys(value, SECRET_ID)
    message = str(caught.value)
    assert message.endswith(f"lacks {missing}")
    assert SECRET_ID in message
    assert ACCESS not in message
    assert SECRET not in message


@pytest.mark.parametrize("show", [repr, str], ids=["repr", "str"])
def test_printing_api_keys_hides_the_values(show: Any) -> None:
    text = show(ApiKeys(access_key=ACCESS, secret_key=SECRET))
    assert ACCESS not in text
    assert SECRET not in text
    assert "ApiKeys" in text
