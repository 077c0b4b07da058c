"""`aws cloudtrail validate-logs`, driven offline: the AWS CLI's own command class
(awscli/customizations/cloudtrail/validation.py, CloudTrailValidateLogs) with its two outside services replaced:

- S3: a real botocore client pointed at an endpoint (LocalStack), or, with --tree, objects listed in a JSON
  manifest (a stub of the two S3 calls the command makes: list_objects pages searched for keys, get_object);
- CloudTrail: ListPublicKeys answered from a file of `aws cloudtrail list-public-keys` output (the test key),
  filtered by validity as the service filters.

Everything else, the digest traverser, the signature check (python-rsa), the log hashing (zlib) and every line
it prints, is the installed AWS CLI's code. It prints what the command prints and exits with its exit code
(255 when the command fails, as the CLI does).

  python3 validate_logs.py --trail-arn ARN --start-time T --end-time T --s3-bucket B [--s3-prefix P]
      [--account-id A] --region R --public-keys keys.json (--tree manifest.json | --s3-endpoint URL) [--verbose]

manifest.json: {"objects": [{"bucket": B, "key": K, "body": base64, "metadata": {"signature": ...}}]}

  python3 validate_logs.py --batch jobs.json     # many runs in one process (tests): [{"args": [...]}, ...]
      prints [{"code": 0, "stdout": "...", "stderr": "..."}, ...]
"""
import argparse
import base64
import io
import json
import sys

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from awscli.customizations.cloudtrail.validation import CloudTrailValidateLogs, S3ClientProvider


class KeyFileCloudTrail:
    """The one CloudTrail call the command makes, answered from a list-public-keys file."""

    def __init__(self, path):
        with open(path) as f:
            self._keys = json.load(f)["PublicKeyList"]

    def list_public_keys(self, StartTime, EndTime):
        start, end = StartTime.timestamp(), EndTime.timestamp()
        keys = [k for k in self._keys if k["ValidityStartTime"] <= end and k["ValidityEndTime"] >= start]
        return {"PublicKeyList": keys}


class TreeS3:
    """list_objects pages (searched for Contents[*].Key) and get_object over a manifest of objects."""

    def __init__(self, objects):
        self._objects = objects

    def get_paginator(self, name):
        assert name == "list_objects", name
        return self

    def paginate(self, Bucket, Marker="", Prefix=""):
        keys = sorted((k for (b, k) in self._objects if b == Bucket), key=lambda k: k.encode())
        return _Pages([k for k in keys if k.startswith(Prefix) and k.encode() > Marker.encode()])

    def get_object(self, Bucket, Key):
        found = self._objects.get((Bucket, Key))
        if found is None:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}}, "GetObject")
        body, metadata = found
        return {"Body": io.BytesIO(body), "Metadata": dict(metadata)}


class _Pages:
    def __init__(self, keys):
        self._keys = keys

    def search(self, expression):
        assert expression == "Contents[*].Key", expression
        return iter(self._keys)


class TreeProvider:
    def __init__(self, manifest):
        with open(manifest) as f:
            objects = json.load(f)["objects"]
        self._s3 = TreeS3({(o["bucket"], o["key"]): (base64.b64decode(o["body"]), o.get("metadata", {})) for o in objects})

    def get_client(self, bucket):
        return self._s3


class EndpointProvider(S3ClientProvider):
    """The CLI's own provider (GetBucketLocation, one client per region), with clients for a custom endpoint."""

    def __init__(self, session, region, endpoint):
        super().__init__(session, region)
        self._endpoint = endpoint

    def _create_client(self, region_name):
        if region_name not in self._client_cache:
            self._client_cache[region_name] = self._session.create_client(
                "s3", region_name=region_name, endpoint_url=self._endpoint, config=Config(s3={"addressing_style": "path"})
            )
        return self._client_cache[region_name]


def parse(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--trail-arn", required=True)
    parser.add_argument("--start-time", required=True)
    parser.add_argument("--end-time")
    parser.add_argument("--s3-bucket", required=True)
    parser.add_argument("--s3-prefix")
    parser.add_argument("--account-id")
    parser.add_argument("--region", required=True)
    parser.add_argument("--public-keys", required=True)
    parser.add_argument("--tree")
    parser.add_argument("--s3-endpoint")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if bool(args.tree) == bool(args.s3_endpoint):
        parser.error("give --tree or --s3-endpoint")
    return args


def run(args):
    session = botocore.session.get_session()
    command = CloudTrailValidateLogs(session)
    try:
        command.handle_args(args)
        command._source_region = args.region
        command.s3_client_provider = TreeProvider(args.tree) if args.tree else EndpointProvider(session, args.region, args.s3_endpoint)
        command.cloudtrail_client = KeyFileCloudTrail(args.public_keys)
        command.organization_client = None
        command._call()
    except Exception as e:  # the CLI prints the error and exits 255
        sys.stdout.flush()
        sys.stderr.write(f"\n{e}\n")
        return 255
    invalid = command._invalid_digests + command._invalid_backfill_digests + command._invalid_logs
    return 1 if invalid else 0


def batch(path):
    with open(path) as f:
        jobs = json.load(f)
    results = []
    real = sys.stdout, sys.stderr
    for job in jobs:
        out, err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = out, err
        try:
            code = run(parse(job["args"]))
        finally:
            sys.stdout, sys.stderr = real
        results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--batch"]:
        sys.exit(batch(sys.argv[2]))
    sys.exit(run(parse(sys.argv[1:])))
