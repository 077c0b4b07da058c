/**
 * Bytes as integrity checks handle them: hex, base64, SHA-256 (WebCrypto), and exact ArrayBuffers for WebCrypto.
 *
 * ```ts
 * const hash = await sha256Hex(content); // "44136fa3…" for "{}"
 * ```
 */

export class Base64Error extends Error {}

/** Base64 (standard alphabet; whitespace ignored) → bytes; Base64Error when it is not base64. */
export function base64Decode(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new Base64Error("not base64");
  try {
    return Uint8Array.from(atob(clean), (c) => c.charCodeAt(0));
  } catch {
    throw new Base64Error("not base64");
  }
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** SHA-256 of some bytes, lower-case hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", toArrayBuffer(bytes))));
}

/** The bytes as an ArrayBuffer of exactly their length (WebCrypto takes BufferSource; a view may share a pool). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
