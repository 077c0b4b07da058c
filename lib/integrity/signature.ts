/**
 * SHA256withRSA (RSASSA-PKCS1-v1_5 with SHA-256) signatures of CloudTrail digests, checked with WebCrypto.
 *
 * ListPublicKeys hands out each key as a DER PKCS#1 `RSAPublicKey`, which WebCrypto does not import: it is
 * wrapped in a SubjectPublicKeyInfo first. (A key that already is SPKI is taken as it is.) The signature is
 * verified over the signing string itself: WebCrypto hashes it, so passing its SHA-256 would always fail.
 *
 * ```ts
 * const key = await importPublicKey(base64Decode(publicKey.Value)); // base64Decode: bytes.ts
 * const ok = await verifySignature(key, signatureHex, stringToSign(digest, hash));
 * ```
 */

import { bytesToHex, hexToBytes, toArrayBuffer } from "./bytes.ts";
import { concatBytes } from "../bytes.ts";

export class PublicKeyError extends Error {}

export interface RsaPublicKey {
  key: CryptoKey;
  /** Modulus length in bytes: a signature has exactly this many. */
  size: number;
  /** The modulus, to refuse signatures that are not below it as the AWS CLI (python-rsa) does. */
  modulus: bigint;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const RSA_ENCRYPTION_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/** Imports a DER RSA public key, PKCS#1 or SPKI. PublicKeyError when it is neither. */
export async function importPublicKey(der: Uint8Array): Promise<RsaPublicKey> {
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) throw new PublicKeyError("not a DER SEQUENCE");
  const first = readTlv(der, outer.start);
  if (!first) throw new PublicKeyError("empty SEQUENCE");
  let pkcs1: Uint8Array;
  let spki: Uint8Array;
  if (first.tag === 0x02) {
    pkcs1 = der;
    spki = wrapPkcs1(der);
  } else if (first.tag === 0x30) {
    const bits = readTlv(der, first.end);
    if (!bits || bits.tag !== 0x03 || der[bits.start] !== 0) throw new PublicKeyError("SPKI without a key BIT STRING");
    pkcs1 = der.subarray(bits.start + 1, bits.end);
    spki = der;
  } else throw new PublicKeyError("neither a PKCS#1 RSAPublicKey nor an SPKI");
  const modulusTlv = readTlv(pkcs1, (readTlv(pkcs1, 0) ?? fail()).start);
  if (!modulusTlv || modulusTlv.tag !== 0x02) throw new PublicKeyError("RSAPublicKey without a modulus");
  const modulus = bytesToBigInt(pkcs1.subarray(modulusTlv.start, modulusTlv.end));
  if (modulus <= 0n) throw new PublicKeyError("RSAPublicKey with a non-positive modulus");
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("spki", toArrayBuffer(spki), RSA, false, ["verify"]);
  } catch (error) {
    throw new PublicKeyError(`not an RSA public key WebCrypto accepts (${error instanceof Error ? error.message : String(error)})`);
  }
  return { key, size: Math.ceil(modulus.toString(16).length / 2), modulus };
}

/**
 * Whether `signatureHex` is a valid signature of `message` (a UTF-8 string). A signature that is not hex, not
 * exactly the key's size, or not below the modulus is simply not valid.
 */
export async function verifySignature(key: RsaPublicKey, signatureHex: unknown, message: string): Promise<boolean> {
  if (typeof signatureHex !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(signatureHex)) return false;
  const signature = hexToBytes(signatureHex);
  if (signature.length !== key.size || bytesToBigInt(signature) >= key.modulus) return false;
  return crypto.subtle.verify(RSA, key.key, toArrayBuffer(signature), toArrayBuffer(new TextEncoder().encode(message)));
}

/** `SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { 0x00, pkcs1 } }` */
export function wrapPkcs1(pkcs1: Uint8Array): Uint8Array {
  const algorithm = tlv(0x30, new Uint8Array([...RSA_ENCRYPTION_OID, 0x05, 0x00]));
  const bitString = tlv(0x03, concatBytes([new Uint8Array([0]), pkcs1]));
  return tlv(0x30, concatBytes([algorithm, bitString]));
}

function readTlv(der: Uint8Array, at: number): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > der.length) return undefined;
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : undefined;
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concatBytes([new Uint8Array([tag, ...length]), content]);
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length ? BigInt(`0x${bytesToHex(bytes)}`) : 0n;
}

function fail(): never {
  throw new PublicKeyError("RSAPublicKey is empty");
}
