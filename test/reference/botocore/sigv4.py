"""SigV4 as botocore (the AWS CLI's library) signs: the independent reference for test/unit/signing/sigv4.test.ts.

Reads a JSON list of requests on stdin and prints, for each, the request botocore would send, signed at the given
instant, offline:

- {"kind": "s3", "method", "bucket", "key" (or null for bucket requests), "params": [[name, value], ...],
   "endpoint" (or null for AWS: virtual-hosted when the bucket is a DNS label, as botocore addresses it),
   "region", "headers": {...}, "body" (text), "credentials": {...}, "amzDate": "YYYYMMDDTHHMMSSZ"}
  The URL is built from the bucket and key the way botocore's serializer does (percent_encode, safe "/~"), and
  signed with S3SigV4Auth, payload unsigned (UNSIGNED-PAYLOAD), as trailpost signs S3 requests.
- {"kind": "raw", "service", "method", "url" (no query), "params": [[name, value], ...], "headers": {...},
   "bodyBase64", "region", "credentials", "amzDate"}
  Signed with SigV4Auth for the service (es, aoss): the path normalized and double-encoded, the query parameters
  encoded (as a service decodes and re-encodes them), the payload hashed.

Prints [{"url", "authorization", "headers"}]. The credentials are the tests' examples.
"""
import base64
import datetime
import json
import re
import sys
import types

import botocore.auth
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode


def fixed_clock(amz_date):
    instant = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda: instant


def credentials_of(case):
    c = case["credentials"]
    return Credentials(c["accessKeyId"], c["secretAccessKey"], c.get("sessionToken"))


def s3_request(case):
    bucket, key, region = case["bucket"], case["key"], case["region"]
    path = "" if key is None else "/" + percent_encode(key, safe="/~")
    if case.get("endpoint"):
        url = f"{case['endpoint']}/{bucket}{path}"
    elif re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", bucket):
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        url = f"https://{bucket}.s3.{region}.{suffix}{path or '/'}"
    else:
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        url = f"https://s3.{region}.{suffix}/{bucket}{path}"
    params = [tuple(pair) for pair in case["params"]]
    request = AWSRequest(method=case["method"], url=url, headers=case["headers"], params=params, data=case.get("body") or b"")
    request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})
    signer = S3SigV4Auth(credentials_of(case), "s3", region)
    return request, signer


def raw_request(case):
    body = base64.b64decode(case["bodyBase64"]) if case.get("bodyBase64") else b""
    params = [tuple(pair) for pair in case["params"]]
    request = AWSRequest(method=case["method"], url=case["url"], headers=case["headers"], params=params, data=body)
    signer = SigV4Auth(credentials_of(case), case["service"], case["region"])
    return request, signer


def sign(case):
    fixed_clock(case["amzDate"])
    request, signer = s3_request(case) if case["kind"] == "s3" else raw_request(case)
    signer.add_auth(request)
    prepared = request.prepare()
    return {
        "url": prepared.url,
        "authorization": request.headers["Authorization"],
        "headers": {k.lower(): v for k, v in request.headers.items()},
    }


print(json.dumps([sign(case) for case in json.load(sys.stdin)]))
