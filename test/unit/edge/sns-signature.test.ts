/**
 * SNS signature verification with WebCrypto, against OpenSSL as the reference: certificates and signatures are
 * made by the openssl binary (SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2), the public key our DER
 * reader takes out of a certificate is byte for byte the one `openssl x509 -pubkey` prints, and every tampered
 * field, foreign key or untrusted certificate URL is refused, without fetching anything from an untrusted URL.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DerError, pemToDer, subjectPublicKeyInfo } from "../../../lib/edge/der.ts";
import { SnsVerificationError, SnsVerifier, stringToSign, type SnsMessage } from "../../../lib/edge/sns-signature.ts";

const CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:trail-events";
let dir: string;
let certificate: string;
let otherCertificate: string;

function openssl(args: string[], input?: string): string {
  return execFileSync("openssl", args, { cwd: dir, input, encoding: "latin1", stdio: ["pipe", "pipe", "ignore"] });
}

/** A self-signed certificate with a fresh RSA key, made by openssl: [certificate PEM, key file]. */
function makeCertificate(name: string, bits = 2048): string {
  openssl(["req", "-x509", "-newkey", `rsa:${bits}`, "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", "/CN=sns.amazonaws.com"]);
  return readFileSync(join(dir, `${name}.pem`), "utf8");
}

/** openssl dgst -sha1|-sha256 -sign: the base64 signature of the message's string to sign. */
function sign(message: SnsMessage, key: string, version: "1" | "2"): string {
  writeFileSync(join(dir, "data"), stringToSign(message));
  return Buffer.from(openssl(["dgst", version === "1" ? "-sha1" : "-sha256", "-sign", `${key}.key`, "data"]), "latin1").toString("base64");
}

function notification(overrides: SnsMessage = {}): SnsMessage {
  return {
    Type: "Notification",
    MessageId: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    TopicArn: TOPIC,
    Subject: "Amazon S3 Notification",
    Message: '{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put"}]}',
    Timestamp: "2024-03-04T00:05:00.000Z",
    SignatureVersion: "1",
    SigningCertURL: CERT_URL,
    UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    ...overrides,
  };
}

/** A verifier whose fetch serves certificates from memory and records every URL asked for. */
function verifier(certificates: Record<string, string>, options: { topicArns?: string[]; trustedCertOrigins?: string[] } = {}) {
  const fetched: string[] = [];
  const fetchStub = (async (input: RequestInfo | URL) => {
    const url = String(input);
    fetched.push(url);
    return certificates[url] ? new Response(certificates[url]) : new Response("no", { status: 404 });
  }) as typeof fetch;
  return { verifier: new SnsVerifier({ ...options, fetch: fetchStub }), fetched };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "trailpost-sns-"));
  certificate = makeCertificate("sns");
  otherCertificate = makeCertificate("other");
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("der", () => {
  test("the public key taken out of a certificate is exactly what openssl x509 -pubkey gives", () => {
    for (const name of ["sns", "other"]) {
      const pem = readFileSync(join(dir, `${name}.pem`), "utf8");
      const reference = openssl(["x509", "-in", `${name}.pem`, "-pubkey", "-noout"]);
      assert.deepEqual(Buffer.from(subjectPublicKeyInfo(pemToDer(pem))).toString("base64"), reference.replace(/-----[A-Z ]+-----|\s/g, ""));
    }
  });

  test("a v1 certificate (no version field) too", () => {
    openssl(["req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", "v1.key", "-out", "v1.csr", "-subj", "/CN=v1"]);
    openssl(["x509", "-req", "-in", "v1.csr", "-signkey", "v1.key", "-out", "v1.pem", "-days", "1"]);
    const pem = readFileSync(join(dir, "v1.pem"), "utf8");
    const reference = openssl(["x509", "-in", "v1.pem", "-pubkey", "-noout"]);
    assert.equal(Buffer.from(subjectPublicKeyInfo(pemToDer(pem))).toString("base64"), reference.replace(/-----[A-Z ]+-----|\s/g, ""));
  });

  test("garbage, truncation and lies about lengths are DerErrors, never a wrong key", () => {
    const der = pemToDer(certificate);
    for (const bad of [new Uint8Array(0), der.slice(0, 10), der.slice(0, der.length - 1), new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), new Uint8Array([0x02, 0x01, 0x00])]) {
      assert.throws(() => subjectPublicKeyInfo(bad), DerError);
    }
    assert.throws(() => pemToDer("no pem here"), DerError);
    assert.throws(() => pemToDer("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"), DerError);
  });
});

describe("SnsVerifier", () => {
  test("SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA) signed by openssl verify; the certificate is fetched once", async () => {
    const { verifier: v, fetched } = verifier({ [CERT_URL]: certificate });
    for (const version of ["1", "2"] as const) {
      const message = notification({ SignatureVersion: version });
      message.Signature = sign(message, "sns", version);
      await v.verify(message);
      await v.verify(message);
    }
    const noSubject = notification();
    delete noSubject.Subject;
    noSubject.Signature = sign(noSubject, "sns", "1");
    await v.verify(noSubject);
    assert.deepEqual(fetched, [CERT_URL, CERT_URL], "once per hash algorithm");
  });

  test("any changed field, another key, the other algorithm: refused", async () => {
    const { verifier: v } = verifier({ [CERT_URL]: certificate, [CERT_URL.replace("test", "other")]: otherCertificate });
    const message = notification();
    message.Signature = sign(message, "sns", "1");
    for (const field of ["Message", "MessageId", "Subject", "Timestamp", "TopicArn"]) {
      const changed = { ...message, [field]: field === "TopicArn" ? "arn:aws:sns:us-east-1:123456789012:other" : `${String(message[field])} ` };
      await assert.rejects(v.verify(changed), /signature does not match/, field);
    }
    await assert.rejects(v.verify({ ...message, Subject: undefined }), /signature does not match/, "Subject removed");
    await assert.rejects(v.verify({ ...message, SignatureVersion: "2" }), /signature does not match/);
    await assert.rejects(v.verify({ ...message, SigningCertURL: CERT_URL.replace("test", "other") }), /signature does not match/);
    const byOther = notification();
    byOther.Signature = sign(byOther, "other", "1");
    await assert.rejects(v.verify(byOther), /signature does not match/);
    await assert.rejects(v.verify({ ...message, Signature: "%%%" }), /not base64/);
    await assert.rejects(v.verify({ ...message, SignatureVersion: "3" }), /unknown SignatureVersion/);
    await assert.rejects(v.verify({ ...message, Type: "Other" }), /not an SNS message type/);
  });

  test("certificate URLs other than https://sns.<region>.amazonaws.com[.cn]/….pem are refused without being fetched", async () => {
    const { verifier: v, fetched } = verifier({});
    const message = notification();
    message.Signature = sign(message, "sns", "1");
    for (const url of [
      "http://sns.us-east-1.amazonaws.com/x.pem",
      "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
      "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
      "https://sns.us-east-1.amazonaws.com:8443/x.pem",
      "https://user@sns.us-east-1.amazonaws.com/x.pem",
      "https://sns.us-east-1.amazonaws.com/x.txt",
      "https://sqs.us-east-1.amazonaws.com/x.pem",
      "https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/x.pem",
      "https://sns.amazonaws.com/x.pem",
      "https://snsXus-east-1.amazonaws.com/x.pem",
      "http://127.0.0.1:4566/_aws/sns/SimpleNotificationService-x.pem",
      "file:///etc/passwd",
      "not a url",
    ]) {
      await assert.rejects(v.verify({ ...message, SigningCertURL: url }), /not an Amazon SNS certificate URL/, url);
    }
    assert.deepEqual(fetched, []);
  });

  test("China and GovCloud regions are SNS hosts too", () => {
    const { verifier: v } = verifier({});
    assert.equal(v.trusted("https://sns.cn-north-1.amazonaws.com.cn/x.pem"), true);
    assert.equal(v.trusted("https://sns.us-gov-west-1.amazonaws.com/x.pem"), true);
  });

  test("LocalStack's certificate origin only when configured", async () => {
    const local = "http://127.0.0.1:4566/_aws/sns/SimpleNotificationService-x.pem";
    const message = notification({ SigningCertURL: local });
    message.Signature = sign(message, "sns", "1");
    await assert.rejects(verifier({ [local]: certificate }).verifier.verify(message), /not an Amazon SNS certificate URL/);
    await verifier({ [local]: certificate }, { trustedCertOrigins: ["http://127.0.0.1:4566"] }).verifier.verify(message);
    await assert.rejects(verifier({ [local]: certificate }, { trustedCertOrigins: ["http://127.0.0.1:4567"] }).verifier.verify(message), /not an Amazon SNS certificate URL/);
  });

  test("a subscription confirmation whose SubscribeURL is not SNS's is refused, even validly signed (no fetch of arbitrary URLs)", async () => {
    const { verifier: v } = verifier({ [CERT_URL]: certificate });
    const confirmation = (subscribeUrl: string) => {
      const m = notification({ Type: "SubscriptionConfirmation", Token: "2336412f37", SubscribeURL: subscribeUrl, Subject: undefined });
      delete m.Subject;
      m.Signature = sign(m, "sns", "1");
      return m;
    };
    await v.verify(confirmation("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=y"));
    await assert.rejects(v.verify(confirmation("http://169.254.169.254/latest/meta-data/")), /SubscribeURL .* is not an Amazon SNS URL/);
  });

  test("only the accepted topics, when a list is given", async () => {
    const { verifier: v } = verifier({ [CERT_URL]: certificate }, { topicArns: ["arn:aws:sns:us-east-1:123456789012:other"] });
    const message = notification();
    message.Signature = sign(message, "sns", "1");
    await assert.rejects(v.verify(message), (e: unknown) => e instanceof SnsVerificationError && /not one this endpoint accepts/.test(e.message));
  });

  test("a certificate URL that answers garbage or fails is a refusal naming it", async () => {
    const { verifier: v } = verifier({ [CERT_URL]: "not a certificate" });
    const message = notification();
    message.Signature = sign(message, "sns", "1");
    await assert.rejects(v.verify(message), /has no usable RSA key/);
    await assert.rejects(verifier({}).verifier.verify(message), /cannot fetch the signing certificate .*HTTP 404/);
  });
});
