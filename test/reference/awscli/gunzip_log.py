"""What the AWS CLI makes of a log file's bytes before hashing them (validation.py, _download_log): a
`zlib.decompressobj(MAX_WBITS | 16)` fed 2 KB chunks, then flushed. Reads a JSON list of base64 bodies, prints
one result each: {"error": zlib's message} or {"sha256": hex, "eof": bool, "unused": bytes after the member}.

  python3 gunzip_log.py bodies.json
"""
import base64
import hashlib
import json
import sys
import zlib


def cli_gunzip(body):
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    digest = hashlib.sha256()
    try:
        for i in range(0, len(body), 2048):
            digest.update(inflater.decompress(body[i : i + 2048]))
        digest.update(inflater.flush())
    except zlib.error as e:
        return {"error": str(e).split(": ", 1)[-1]}
    return {"sha256": digest.hexdigest(), "eof": inflater.eof, "unused": len(inflater.unused_data)}


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        bodies = json.load(f)
    json.dump([cli_gunzip(base64.b64decode(b)) for b in bodies], sys.stdout)
