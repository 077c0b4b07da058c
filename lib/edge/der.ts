/**
 * Just enough DER to take the public key out of an X.509 certificate for WebCrypto (`importKey("spki", …)`):
 * Certificate → tbsCertificate → subjectPublicKeyInfo, as RFC 5280 §4.1 lays them out. Anything that does not
 * have that shape throws a DerError.
 *
 * ```ts
 * const key = await crypto.subtle.importKey("spki", subjectPublicKeyInfo(pemToDer(pem)), { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
 * ```
 */

export class DerError extends Error {}

interface Tlv {
  tag: number;
  /** Where the element starts (its tag byte). */
  start: number;
  /** Where its contents start and end. */
  contentStart: number;
  end: number;
}

/** The first certificate of a PEM text, as DER bytes. */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new DerError("no PEM certificate (-----BEGIN CERTIFICATE-----)");
  const base64 = m[1]!.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new DerError("the PEM certificate is not base64");
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The DER of the certificate's SubjectPublicKeyInfo. */
export function subjectPublicKeyInfo(certificate: Uint8Array): Uint8Array {
  const cert = readTlv(certificate, 0, certificate.length);
  if (cert.tag !== 0x30 || cert.end !== certificate.length) throw new DerError("not a DER certificate (a SEQUENCE spanning the whole input)");
  const tbs = readTlv(certificate, cert.contentStart, cert.end);
  if (tbs.tag !== 0x30) throw new DerError("no tbsCertificate SEQUENCE");
  const fields: Tlv[] = [];
  for (let at = tbs.contentStart; at < tbs.end && fields.length < 8; ) {
    const field = readTlv(certificate, at, tbs.end);
    fields.push(field);
    at = field.end;
  }
  // [0] version is optional (v1 certificates omit it); then serial, signature, issuer, validity, subject, spki
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const spki = rest[5];
  if (!spki || spki.tag !== 0x30) throw new DerError("no subjectPublicKeyInfo in the certificate");
  return certificate.slice(spki.start, spki.end);
}

function readTlv(bytes: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new DerError("truncated DER");
  const tag = bytes[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte DER tags are not expected in a certificate");
  let length = bytes[at + 1]!;
  let contentStart = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) throw new DerError("unsupported DER length");
    if (contentStart + octets > limit) throw new DerError("truncated DER length");
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[contentStart + i]!;
    contentStart += octets;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError("DER element longer than its container");
  return { tag, start: at, contentStart, end };
}
