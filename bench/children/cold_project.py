"""Cold start of the function: import the handler, then handle one event (an SQS batch of
one record, or an API request).

Usage: python -m bench.children.cold_project RESULT EVENT_JSON. The result holds wall-clock
stamps (time.time_ns) taken after the imports and after the delivery; the runner stamps the
moment it started the process.
"""

import time

from bench.children.common import BenchContext, write_result


def main() -> None:
    import json
    import sys

    from activity_poster.handler import lambda_handler

    imported = time.time_ns()
    answer = lambda_handler(json.loads(sys.argv[2]), BenchContext(30.0))  # type: ignore[arg-type]
    done = time.time_ns()
    write_result(
        sys.argv[1],
        {
            "imported_ns": imported,
            "done_ns": done,
            # An SQS answer lists no failure; an API answer is 201 Created.
            "delivered": answer.get("statusCode", 201) == 201
            and not answer.get("batchItemFailures"),
        },
    )


if __name__ == "__main__":
    main()
