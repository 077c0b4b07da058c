/**
 * AWS credentials and region, resolved the way the AWS CLI and SDKs do for the common cases:
 * 1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) in the environment;
 * 2. otherwise the profile `AWS_PROFILE` (or `default`) in the shared `credentials` file, then in the `config` file.
 * Region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` in the config file, else `us-east-1`.
 *
 * The files' text is handed in (reading files is the platform adapter's job), so this stays edge code.
 * Profiles that need a process or a browser (SSO, `credential_process`, `role_arn`) are reported, not resolved.
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SharedFiles {
  /** Text of ~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE), if present. */
  credentials?: string;
  /** Text of ~/.aws/config (or AWS_CONFIG_FILE), if present. */
  config?: string;
}

export class CredentialsError extends Error {}

export function resolveRegion(env: Record<string, string | undefined>, files: SharedFiles = {}): string {
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || "default";
  const fromConfig = files.config ? configProfile(parseIni(files.config), profile)?.region : undefined;
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || fromConfig || "us-east-1";
}

/** Credentials from the environment or the shared files; undefined when none are configured. */
export function resolveCredentials(env: Record<string, string | undefined>, files: SharedFiles = {}): Credentials | undefined {
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (id || secret) {
    if (!id || !secret) throw new CredentialsError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
    return withToken({ accessKeyId: id, secretAccessKey: secret }, env.AWS_SESSION_TOKEN);
  }
  const explicit = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE;
  const profile = explicit || "default";
  const sections = [
    files.credentials ? parseIni(files.credentials)[profile] : undefined,
    files.config ? configProfile(parseIni(files.config), profile) : undefined,
  ];
  for (const section of sections) {
    if (!section) continue;
    if (section.aws_access_key_id && section.aws_secret_access_key) {
      return withToken({ accessKeyId: section.aws_access_key_id, secretAccessKey: section.aws_secret_access_key }, section.aws_session_token);
    }
    const needs = ["sso_session", "sso_start_url", "credential_process", "role_arn", "web_identity_token_file"].find((k) => section[k]);
    if (needs) {
      throw new CredentialsError(
        `AWS profile "${profile}" uses ${needs}, which trailpost does not resolve itself; export its credentials first: ` +
          `eval "$(aws configure export-credentials --profile ${profile} --format env)"`,
      );
    }
  }
  if (explicit) throw new CredentialsError(`AWS profile "${profile}" has no aws_access_key_id/aws_secret_access_key in the shared credentials or config file`);
  return undefined;
}

function withToken(credentials: Credentials, token: string | undefined): Credentials {
  return token ? { ...credentials, sessionToken: token } : credentials;
}

type Ini = Record<string, Record<string, string>>;

/** The config file names profiles `[profile name]`, except `[default]`. */
function configProfile(ini: Ini, profile: string): Record<string, string> | undefined {
  return profile === "default" ? ini.default ?? ini["profile default"] : ini[`profile ${profile}`];
}

/** A small INI reader: `[section]`, `key = value`, `#` and `;` comments; nested (indented) keys are skipped. */
export function parseIni(text: string): Ini {
  const out: Ini = Object.create(null);
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s+\S/.test(raw) && current) continue; // sub-property of a nested section (e.g. s3 =\n  max_concurrent_requests)
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      const name = section[1]!.replace(/\s+/g, " ");
      current = out[name] ??= Object.create(null) as Record<string, string>;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0 && current) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}
