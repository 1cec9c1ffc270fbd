"""No key or secret value in any line a run with failures prints; personal data masked."""

from __future__ import annotations

import io
import json
import logging

from activity_poster.observability import logger
from leadsquared_emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator, Fault
from localrun.stack import LocalStack
from tests.integration.events import UNKNOWN_LEAD_ID, activity, api_v1_event, sqs_event

EMAIL = "priya.nair@example.org"
PHONE = "+91-9876501234"


def test_a_run_full_of_failures_prints_no_secret(
    invoke, emulator: Emulator, stack: LocalStack, set_env, logs, capfd, caplog
):
    caplog.set_level(logging.DEBUG)  # every library logger too (urllib3, botocore)
    set_env(LEADSQUARED_READ_TIMEOUT="0.3", DEAD_LETTER_QUEUE_URL=f"{stack.moto_url}/1/missing")
    emulator.configure(read_timeout_seconds=0.6)
    for fault in (Fault.THROTTLE, Fault.HTTP_500, Fault.READ_TIMEOUT, Fault.DROP_CONNECTION):
        emulator.inject(fault, times=1)
    invoke(
        sqs_event(
            activity(),
            activity(RelatedProspectId=None, EmailAddress=EMAIL, Phone=PHONE),
            activity(RelatedProspectId=UNKNOWN_LEAD_ID),
            activity(ActivityEvent="x"),
            "not json",
        )
    )
    invoke(api_v1_event(activity(RelatedProspectId=None, EmailAddress=EMAIL, Phone=PHONE)))
    # Keys LeadSquared refuses, then a secret that is not JSON at all.
    stack.put_secret(
        "leadsquared/refused", {"accessKey": "u$rREFUSED", "secretKey": "s3cr3tREFUSED"}
    )
    set_env(LEADSQUARED_SECRET_ID="leadsquared/refused")
    invoke(sqs_event(activity()))
    stack.put_secret("leadsquared/garbled", "accessKey=u$rGARBLED secretKey=s3cr3tGARBLED")
    set_env(LEADSQUARED_SECRET_ID="leadsquared/garbled")
    invoke(sqs_event(activity()))
    invoke(api_v1_event(activity()))

    captured = capfd.readouterr()
    everything = "\n".join(
        [logs.getvalue(), captured.out, captured.err, caplog.text]
        + [json.dumps(r.__dict__, default=str) for r in caplog.records]
    )
    assert "activity rejected" in everything  # the capture did see the run
    for secret in (
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        "u$rREFUSED",
        "s3cr3tREFUSED",
        "u$rGARBLED",
        "s3cr3tGARBLED",
    ):
        assert secret not in everything
    assert EMAIL not in logs.getvalue()
    assert "9876501234" not in logs.getvalue()


def test_log_lines_mask_emails_and_phone_numbers():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.name).addHandler(handler)
    try:
        logger.warning(
            "activity rejected",
            extra={"error_message": f"Duplicate entry '{EMAIL}' for key; phone {PHONE}"},
        )
    finally:
        logging.getLogger(logger.name).removeHandler(handler)

    line = json.loads(buffer.getvalue())
    assert EMAIL not in buffer.getvalue() and "9876501234" not in buffer.getvalue()
    assert line["error_message"] == "Duplicate entry 'p***@example.org' for key; phone ***34"
