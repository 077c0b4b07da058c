/**
 * One log file against its entry in a valid digest: the SHA-256 of its first gzip member's content must be the
 * digest's `hashValue`, and nothing may follow that member. The verdicts and their words are those of
 * `aws cloudtrail validate-logs`:
 *
 * | reason                                             | when                                                        |
 * |----------------------------------------------------|-------------------------------------------------------------|
 * | `not found`                                        | no object at the key (deleted, or moved elsewhere)          |
 * | `hash value doesn't match`                         | modified (a truncated gzip, too: its content is not whole)  |
 * | `invalid format`                                   | not gzip, corrupt deflate data, a bad CRC or length         |
 * | `unexpected data after end of compressed stream`   | bytes appended after the member (aws-cli ≥ May 2026)        |
 *
 * ```ts
 * const verdict = await checkLogFile(store, { s3Bucket, s3Object, hashValue });
 * if (!verdict.valid) console.error(`Log file\ts3://${s3Bucket}/${s3Object}\tINVALID: ${verdict.reason}`);
 * ```
 */
import type { LogFileEntry } from "../cloudtrail/digest.ts";
import { sha256Hex } from "./bytes.ts";
import { firstGzipMember, GzipError } from "./gzip-member.ts";
import type { ObjectStore } from "./store.ts";

export type LogVerdict = { valid: true; sha256: string } | { valid: false; reason: string; sha256?: string };

export const NOT_FOUND = "not found";
export const HASH_MISMATCH = "hash value doesn't match";
export const INVALID_FORMAT = "invalid format";
export const TRAILING_DATA = "unexpected data after end of compressed stream";

export async function checkLogFile(store: ObjectStore, entry: Pick<LogFileEntry, "s3Bucket" | "s3Object" | "hashValue">): Promise<LogVerdict> {
  let object;
  try {
    object = await store.get(entry.s3Bucket, entry.s3Object);
  } catch (error) {
    // the AWS CLI stops at such an error; here it is this file's verdict, and the others are still checked
    return { valid: false, reason: error instanceof Error ? error.message : String(error) };
  }
  if (!object) return { valid: false, reason: NOT_FOUND };
  return checkLogBytes(object.bytes, entry.hashValue, object.transportDecoded);
}

/** The verdict on a log file's bytes (as stored: gzip) against the hash its digest lists. */
export async function checkLogBytes(bytes: Uint8Array, hashValue: string, transportDecoded = false): Promise<LogVerdict> {
  let content: Uint8Array;
  if (transportDecoded && !(bytes[0] === 0x1f && bytes[1] === 0x8b)) content = bytes; // fetch already gunzipped it
  else {
    try {
      const member = firstGzipMember(bytes);
      if (member.trailing > 0) return { valid: false, reason: TRAILING_DATA };
      content = member.content;
    } catch (error) {
      if (error instanceof GzipError) return { valid: false, reason: INVALID_FORMAT };
      throw error;
    }
  }
  const sha256 = await sha256Hex(content);
  return sha256 === hashValue ? { valid: true, sha256 } : { valid: false, reason: HASH_MISMATCH, sha256 };
}
