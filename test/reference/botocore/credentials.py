"""Credentials and region as botocore (the AWS CLI's library) resolves them: the reference for lib/aws/credentials.ts.

Reads a JSON list of cases on stdin, each {"env": {...}, "profile": "name" or null}; "profile" is the CLI's explicit
--profile. Each case runs with exactly that environment (plus AWS_EC2_METADATA_DISABLED, so nothing is fetched).
Prints one JSON list: per case {"accessKeyId", "secretAccessKey", "sessionToken", "region"} or {"error": "<class>"}.
The output holds the test's made-up secrets; the test compares it in memory and never prints it.
"""
import json
import os
import sys

import botocore.session


def resolve(case):
    os.environ.clear()
    os.environ.update(case["env"])
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    try:
        session = botocore.session.Session(profile=case.get("profile"))
        credentials = session.get_credentials()
        region = session.get_config_variable("region")
        if credentials is None:
            return {"credentials": None, "region": region}
        frozen = credentials.get_frozen_credentials()
        return {
            "accessKeyId": frozen.access_key,
            "secretAccessKey": frozen.secret_key,
            "sessionToken": frozen.token,
            "region": region,
        }
    except Exception as error:  # the class name is the comparison: a file or profile the CLI refuses
        return {"error": type(error).__name__}


print(json.dumps([resolve(case) for case in json.load(sys.stdin)]))
