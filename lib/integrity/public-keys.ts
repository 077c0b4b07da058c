/**
 * CloudTrail's public keys for digest signatures: from ListPublicKeys (per region, for a time range, cached), or
 * from a file holding what `aws cloudtrail list-public-keys` prints, for offline runs and tests.
 *
 * Each key is `{Value, ValidityStartTime, ValidityEndTime, Fingerprint}`: `Value` is the base64 of a DER PKCS#1
 * RSA public key, `Fingerprint` the 32 hex digits a digest names in `digestPublicKeyFingerprint` (the MD5 of the
 * DER bytes). Validity times are epoch seconds on the wire and in AWS CLI v1 output, ISO 8601 in v2 output.
 *
 * ```ts
 * const keys = cachedKeys(cloudTrailKeys((region) => new CloudTrail({ credentials, region })));
 * const fixed = fileKeys(parsePublicKeyList(JSON.parse(text), "keys.json"));
 * const list = await keys.list("us-east-1", start, end); // PublicKeyRecord[]
 * ```
 */

export class PublicKeyListError extends Error {}

export interface PublicKeyRecord {
  fingerprint: string;
  /** Base64 of the DER key, as ListPublicKeys returns it. */
  value: string;
  /** Epoch ms. */
  validityStart: number;
  validityEnd: number;
}

export interface PublicKeySource {
  /** The keys of a region whose validity overlaps [start, end] (epoch ms), as ListPublicKeys answers. */
  list(region: string, start: number, end: number): Promise<PublicKeyRecord[]>;
}

/**
 * A ListPublicKeys answer, or a file of `aws cloudtrail list-public-keys` output: `{"PublicKeyList": [...]}`.
 * Throws PublicKeyListError naming `source` and the entry when something is not as described.
 */
export function parsePublicKeyList(json: unknown, source: string): PublicKeyRecord[] {
  const list = (json as { PublicKeyList?: unknown } | null)?.PublicKeyList;
  if (typeof json !== "object" || json === null || !Array.isArray(list)) throw new PublicKeyListError(`${source}: expected {"PublicKeyList": [...]}, as aws cloudtrail list-public-keys prints`);
  return list.map((entry: unknown, i: number) => {
    const where = `${source}: PublicKeyList[${i}]`;
    const e = entry as Record<string, unknown> | null;
    if (typeof e !== "object" || e === null) throw new PublicKeyListError(`${where} is not an object`);
    if (typeof e.Fingerprint !== "string" || !e.Fingerprint) throw new PublicKeyListError(`${where} has no Fingerprint`);
    if (typeof e.Value !== "string" || !e.Value) throw new PublicKeyListError(`${where} (${e.Fingerprint}) has no Value`);
    const validityStart = time(e.ValidityStartTime);
    const validityEnd = time(e.ValidityEndTime);
    if (Number.isNaN(validityStart) || Number.isNaN(validityEnd)) {
      throw new PublicKeyListError(`${where} (${e.Fingerprint}): ValidityStartTime and ValidityEndTime must be epoch seconds or ISO 8601 times`);
    }
    return { fingerprint: e.Fingerprint, value: e.Value, validityStart, validityEnd };
  });
}

/** Keys from a file: every region gets the same keys, filtered by validity the way ListPublicKeys filters them. */
export function fileKeys(records: PublicKeyRecord[]): PublicKeySource {
  return {
    async list(_region, start, end) {
      return records.filter((k) => k.validityStart <= end && k.validityEnd >= start);
    },
  };
}

/** Keys from ListPublicKeys, one client per region (see lib/aws/cloudtrail.ts). */
export function cloudTrailKeys(clientFor: (region: string) => { listPublicKeys(start: number, end: number): Promise<PublicKeyRecord[]> }): PublicKeySource {
  return { list: (region, start, end) => clientFor(region).listPublicKeys(start, end) };
}

/** The same question is asked once: answers are kept per region and range. */
export function cachedKeys(source: PublicKeySource): PublicKeySource {
  const cache = new Map<string, Promise<PublicKeyRecord[]>>();
  return {
    list(region, start, end) {
      const id = `${region} ${start} ${end}`;
      let answer = cache.get(id);
      if (!answer) {
        answer = source.list(region, start, end);
        answer.catch(() => cache.delete(id)); // a failure is not remembered
        cache.set(id, answer);
      }
      return answer;
    },
  };
}

function time(v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v * 1000;
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) return Date.parse(v);
  return NaN;
}
