/**
 * The secrets a run was given, so that `main` can hide them in any message it prints (defence in depth: lib/
 * never puts a secret in a message, and a value that cannot go in a header is refused before it is used). Found
 * in the environment (ES_API_KEY, ES_PASSWORD, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN), the
 * flags (`--es-api-key`, `--es-password`), the secret files (ES_API_KEY_FILE, ES_PASSWORD_FILE), the password in
 * ES_URL, and the secret keys and tokens of the shared AWS files. Each is hidden as given, as JSON escapes it, and
 * line by line; values shorter than 6 characters are left alone (LocalStack's `test` would otherwise hide every
 * "test" in a bucket name), as they cannot be told from ordinary words.
 *
 * ```ts
 * const hide = redactor(secretsOf(args(), env()));
 * console.error(hide(`bulk: ${error.message}`));   // "…ApiKey ***…"
 * ```
 */
import { peekSetting } from "../../lib/config.ts";
import { readFileSync } from "node:fs";
import { sharedAwsFiles } from "./platform.ts";

const VARIABLES = ["ES_API_KEY", "ES_PASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"];
const SHARED_KEYS = /^\s*(aws_secret_access_key|aws_session_token|aws_security_token)\s*[=:]\s*(.*?)\s*$/i;
const SHORTEST = 6;

/** Every secret value of this run's configuration (never throws: a file that cannot be read holds nothing here). */
export function secretsOf(argv: readonly string[], env: Record<string, string | undefined>): string[] {
  const values: (string | undefined)[] = VARIABLES.map((name) => env[name]);
  values.push(peekSetting("esApiKey", argv, {}), peekSetting("esPassword", argv, {}));
  for (const file of ["esApiKeyFile", "esPasswordFile"] as const) values.push(readOrNothing(peekSetting(file, argv, env)));
  values.push(...urlSecrets(peekSetting("esUrl", argv, env)));
  // the shared files as the credentials are read from them, scanned line by line (not parsed: a file the parser
  // refuses may be what an error quotes)
  let shared: { credentials?: string; config?: string } = {};
  try {
    shared = sharedAwsFiles(env);
  } catch {
    // unreadable: nothing of it can be printed either
  }
  for (const text of [shared.credentials, shared.config]) {
    for (const line of (text ?? "").split(/\r?\n/)) values.push(SHARED_KEYS.exec(line)?.[2]);
  }
  const out = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    for (const form of [value, JSON.stringify(value).slice(1, -1), ...value.split(/[\r\n]+/)]) {
      const trimmed = form.trim();
      if (trimmed.length >= SHORTEST) out.add(trimmed);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** A function replacing each of `secrets` in a text with `***`. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  if (!secrets.length) return (text) => text;
  const pattern = new RegExp(secrets.map(escape).join("|"), "g");
  return (text) => text.replace(pattern, "***");
}

function urlSecrets(url: string | undefined): string[] {
  const at = url ? /^[a-z][\w+.-]*:\/\/([^#?]*)@/i.exec(url) : null;
  if (!at) return [];
  const password = at[1]!.slice(at[1]!.indexOf(":") + 1);
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // a malformed escape: the raw form is all there is
  }
  return at[1]!.includes(":") ? [password, decoded ?? password] : [];
}

function readOrNothing(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, "utf8").slice(0, 1 << 20);
  } catch {
    return undefined;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
