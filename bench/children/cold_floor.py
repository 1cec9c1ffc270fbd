"""The floor of a cold start: the least any Python client must do for its first delivery.

Import boto3 and urllib3, create a Secrets Manager client, read the secret, post the same
activity once and check LeadSquared's `Status`. Usage: python -m bench.children.cold_floor
RESULT BODY_JSON; stamps as in cold_project.
"""

import time

from bench.children.common import write_result

CREATE_PATH = "/v2/ProspectActivity.svc/Create"


def main() -> None:
    import json
    import os
    import sys

    import boto3
    import urllib3

    imported = time.time_ns()
    secrets = boto3.client("secretsmanager")
    secret = secrets.get_secret_value(SecretId=os.environ["LEADSQUARED_SECRET_ID"])
    keys = json.loads(secret["SecretString"])
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=3.05, read=10.0))
    response = http.request(
        "POST",
        os.environ["LEADSQUARED_API_URL"] + CREATE_PATH,
        body=json.dumps(json.loads(sys.argv[2])).encode(),
        headers={
            "Content-Type": "application/json",
            "x-LSQ-AccessKey": keys["accessKey"],
            "x-LSQ-SecretKey": keys["secretKey"],
        },
    )
    delivered = json.loads(response.data).get("Status") == "Success"
    done = time.time_ns()
    write_result(sys.argv[1], {"imported_ns": imported, "done_ns": done, "delivered": delivered})


if __name__ == "__main__":
    main()
