"""The CPU floor: a bare loop of urllib3 POSTs through one PoolManager.

Usage: python -m bench.children.bare_posts RESULT PLAN, where PLAN is a JSON file
`{"bodies": [...], "access_key": "...", "secret_key": "...", "new_connections": false}`.
Each body is serialised, posted, and LeadSquared's answer parsed for its `Status`: what any
correct client does per activity. One warm-up post (connection, lazy imports) comes before
measuring. With `new_connections`, every request asks the server to close the connection
after answering (`Connection: close`), so each POST opens a new one.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import urllib3

from bench.children.common import cpu_seconds, peak_rss_kb, write_result

CREATE_PATH = "/v2/ProspectActivity.svc/Create"


def post(http: urllib3.PoolManager, url: str, body: Any, headers: dict[str, str]) -> bool:
    response = http.request("POST", url, body=json.dumps(body).encode(), headers=headers)
    return bool(json.loads(response.data).get("Status") == "Success")


def main() -> None:
    result_path, plan_path = sys.argv[1], sys.argv[2]
    with open(plan_path, encoding="utf-8") as file:
        plan = json.load(file)
    bodies: list[Any] = plan["bodies"]
    url = os.environ["LEADSQUARED_API_URL"] + CREATE_PATH
    headers = {
        "Content-Type": "application/json",
        "x-LSQ-AccessKey": plan["access_key"],
        "x-LSQ-SecretKey": plan["secret_key"],
    }
    if plan.get("new_connections"):
        headers["Connection"] = "close"
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=3.05, read=10.0))
    post(http, url, bodies[0], headers)
    user0, sys0 = cpu_seconds()
    delivered = sum(post(http, url, body, headers) for body in bodies)
    user1, sys1 = cpu_seconds()
    write_result(
        result_path,
        {
            "delivered": delivered,
            "user_seconds": user1 - user0,
            "system_seconds": sys1 - sys0,
            "peak_rss_kb": peak_rss_kb(),
        },
    )


if __name__ == "__main__":
    main()
