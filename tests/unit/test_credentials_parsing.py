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


# Each key split in two around the flaw: neither half may reach the message.
ACCESS_HEAD, ACCESS_TAIL = ACCESS[:8], ACCESS[8:]
SECRET_HEAD, SECRET_TAIL = SECRET[:20], SECRET[20:]


def access_with(flaw: str) -> dict[str, str]:
    return {"accessKey": ACCESS_HEAD + flaw + ACCESS_TAIL, "secretKey": SECRET}


def secret_with(flaw: str) -> dict[str, str]:
    return {"accessKey": ACCESS, "secretKey": SECRET_HEAD + flaw + SECRET_TAIL}


CONTROL = "accessKey contains a control character"
NOT_LATIN_1 = "accessKey contains a character outside Latin-1"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        pytest.param(access_with("\r\n"), CONTROL, id="crlf"),
        pytest.param(access_with("\r"), CONTROL, id="cr"),
        pytest.param(access_with("\n"), CONTROL, id="lf"),
        pytest.param(access_with("\x00"), CONTROL, id="nul"),
        pytest.param(access_with("\t"), CONTROL, id="tab-inside"),
        pytest.param(access_with("\x1b"), CONTROL, id="escape"),
        pytest.param(access_with("\x1f"), CONTROL, id="unit-separator"),
        pytest.param(access_with("\x7f"), CONTROL, id="del"),
        pytest.param(access_with("\u20ac"), NOT_LATIN_1, id="euro-sign"),
        pytest.param(access_with("\u2028"), NOT_LATIN_1, id="line-separator"),
        pytest.param(access_with("\U0001f511"), NOT_LATIN_1, id="emoji"),
        pytest.param(
            secret_with("\r\nX-Injected: 1"),
            "secretKey contains a control character",
            id="secret-key-header-injection",
        ),
        pytest.param(
            secret_with("\u0441"),  # Cyrillic "es", looks like a Latin "c"
            "secretKey contains a character outside Latin-1",
            id="secret-key-lookalike",
        ),
        pytest.param(
            {"accessKey": ACCESS_HEAD + "\n" + ACCESS_TAIL, "secretKey": SECRET + "\u20ac"},
            f"{CONTROL}; secretKey contains a character outside Latin-1",
            id="both-keys",
        ),
        pytest.param(
            access_with("\n\u20ac"), f"{CONTROL}; {NOT_LATIN_1}", id="both-flaws-in-one-key"
        ),
    ],
)
def test_key_unfit_for_a_header_is_refused_without_its_value(
    value: dict[str, str], problem: str
) -> None:
    with pytest.raises(CredentialsError) as caught:
        _parse_keys(value, SECRET_ID)
    message = str(caught.value)
    assert message == f"secret {SECRET_ID!r}: {problem}"
    for part in (ACCESS_HEAD, ACCESS_TAIL, SECRET_HEAD, SECRET_TAIL, "X-Injected"):
        assert part not in message
    assert message.isascii() and message.isprintable()


def test_latin_1_letters_are_kept() -> None:
    """Latin-1 goes into a header as it is: only control characters and wider ones are refused."""
    keys = _parse_keys(access_with("\u00e9\u00df\u00a0"), SECRET_ID)
    assert keys.access_key == ACCESS_HEAD + "\u00e9\u00df\u00a0" + ACCESS_TAIL


def test_trailing_control_characters_are_whitespace_and_trimmed() -> None:
    keys = _parse_keys({"accessKey": f"{ACCESS}\r\n", "secretKey": f"{SECRET}\x1f"}, SECRET_ID)
    assert (keys.access_key, keys.secret_key) == (ACCESS, SECRET)


def test_keys_compare_by_value() -> None:
    """Two reads of the same secret give equal keys: the client keeps its headers for them."""
    first = _parse_keys({"accessKey": ACCESS, "secretKey": SECRET}, SECRET_ID)
    again = _parse_keys({"accessKey": f" {ACCESS}", "secretKey": SECRET}, SECRET_ID)
    assert first == again and hash(first) == hash(again)
    assert first != ApiKeys(ACCESS, SECRET + "x")
