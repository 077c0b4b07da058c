/**
 * SHA256withRSA with WebCrypto: PKCS#1 keys wrapped to SPKI (compared with node:crypto's own SPKI export), SPKI
 * keys taken as they are, signatures made by node:crypto verified, and every malformed signature refused.
 * The AWS key is the one in aws-cli's documentation (awscli/examples/cloudtrail/list-public-keys.rst, Apache-2.0).
 */
import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { describe, test } from "node:test";
import { TEST_KEY } from "../../../fixtures/digests.ts";
import { base64Decode, bytesToHex, sha256Hex } from "../../../lib/integrity/bytes.ts";
import { importPublicKey, PublicKeyError, verifySignature, wrapPkcs1 } from "../../../lib/integrity/signature.ts";

/** From `aws cloudtrail list-public-keys` in aws-cli's examples. */
const AWS_EXAMPLE = {
  Value: "MIIBCgKCAQEAlSS3cl92HDycr/MTj0moOhas8habjrraXw+KzlWF0axSI2tcF+3iJ9BKQAVSKxGwxwu3m0wG3J+kUl1xboEcEPHYoIYMbgfSw7KGnuDKwkLzsQWhUJ0cIbOHASox1vv/5fNXkrHhGbDCHeVXm804c83nvHUEFYThr1PfyP/8HwrCtR3FX5OANtQCP61C1nJtSSkC8JSQUOrIP4CuwJjc+4WGDk+BGH5m9iuiAKkipEHWmUl8/P7XpfpWQuk4h8g3pXZOrNXr08lbh4d39svj7UqdhvOXoBISp9t/EXYuePGEtBdrKD9Dz+VHwyUPtBQvYr9BnkF88qBnaPNhS44rzwIDAQAB",
  Fingerprint: "7f3f401420072e50a65a141430817ab3",
};

const message = "2024-03-04T11:00:31Z\nbucket/key\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\nnull";
const signatureOf = (text: string) => sign("sha256", new TextEncoder().encode(text), TEST_KEY.privateKey).toString("hex");

describe("public keys", () => {
  test("a PKCS#1 key wrapped to SPKI is byte for byte node:crypto's SPKI of the same key", () => {
    for (const bits of [1024, 2048, 4096]) {
      const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
      const pkcs1 = new Uint8Array(publicKey.export({ type: "pkcs1", format: "der" }));
      const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
      assert.deepEqual(wrapPkcs1(pkcs1), spki, `${bits}-bit key`);
    }
  });

  test("the AWS documented key: PKCS#1, its fingerprint is the MD5 of the DER bytes, and it imports", async () => {
    const der = base64Decode(AWS_EXAMPLE.Value);
    assert.equal(createHash("md5").update(der).digest("hex"), AWS_EXAMPLE.Fingerprint);
    const key = await importPublicKey(der);
    assert.equal(key.size, 256);
    const jwk = createPublicKey({ key: Buffer.from(der), format: "der", type: "pkcs1" }).export({ format: "jwk" });
    assert.equal(key.modulus, BigInt(`0x${Buffer.from(jwk.n!, "base64url").toString("hex")}`));
  });

  test("PKCS#1 and SPKI forms of the test key both verify its signatures", async () => {
    const spki = new Uint8Array(createPublicKey(TEST_KEY.privateKey).export({ type: "spki", format: "der" }));
    for (const der of [TEST_KEY.publicKeyDer, spki]) {
      const key = await importPublicKey(der);
      assert.equal(await verifySignature(key, signatureOf(message), message), true);
    }
  });

  test("what is not an RSA public key is refused with PublicKeyError", async () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ec = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
    for (const der of [new Uint8Array(0), new Uint8Array([0x30, 0x00]), new Uint8Array([0x04, 0x02, 0x01, 0x02]), TEST_KEY.publicKeyDer.subarray(0, 100), ec]) {
      await assert.rejects(importPublicKey(der), PublicKeyError, bytesToHex(der.subarray(0, 8)));
    }
  });
});

describe("verifySignature", () => {
  test("true for the signature of the string; false for the string's hash, another string, another key", async () => {
    const key = await importPublicKey(TEST_KEY.publicKeyDer);
    const signature = signatureOf(message);
    assert.equal(await verifySignature(key, signature, message), true);
    assert.equal(await verifySignature(key, signature.toUpperCase(), message), true, "hex in capitals is hex");
    // WebCrypto hashes the message itself: handing it the hash (hex or raw) fails
    assert.equal(await verifySignature(key, signature, await sha256Hex(new TextEncoder().encode(message))), false);
    assert.equal(await verifySignature(key, signature, `${message}\n`), false);
    const other = await importPublicKey(new Uint8Array(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "pkcs1", format: "der" })));
    assert.equal(await verifySignature(other, signature, message), false);
  });

  test("malformed signatures are not valid (and do not throw)", async () => {
    const key = await importPublicKey(TEST_KEY.publicKeyDer);
    const signature = signatureOf(message);
    const modulus = key.modulus.toString(16).padStart(512, "0");
    for (const bad of ["", "zz", signature.slice(1), signature.slice(2), `00${signature}`, `${signature}00`, "f".repeat(512), modulus, null, 42, undefined]) {
      assert.equal(await verifySignature(key, bad, message), false, String(bad).slice(0, 20));
    }
  });
});
