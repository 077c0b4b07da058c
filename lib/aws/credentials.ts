/**
 * AWS credentials and region, resolved as the AWS CLI does (botocore's chain), for static keys:
 *
 * 1. An explicit profile (`--profile`, passed as `options.profile`) skips the environment keys, as the CLI's flag
 *    does. Otherwise `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN` or `AWS_SECURITY_TOKEN`)
 *    win, even over `AWS_PROFILE`.
 * 2. The profile: `--profile`, else `AWS_DEFAULT_PROFILE`, else `AWS_PROFILE` (botocore's order), else `default`.
 *    In botocore's order: a profile that assumes a role, uses web identity or SSO is reported (trailpost does not
 *    call STS or SSO); then the keys of the `credentials` file's `[name]`; then `credential_process` (reported);
 *    then the keys of the `config` file's `[profile name]` (`[default]` for default).
 * 3. A named profile that is in neither file is an error, as in the CLI, even when the environment has keys.
 *
 * Region: `AWS_REGION` (the SDKs' variable), `AWS_DEFAULT_REGION`, then the profile's `region` (the credentials
 * file's value over the config file's, as botocore merges them; a nested `s3 = …\n  region = …` does not count),
 * else `us-east-1`.
 *
 * The files' text is handed in (reading files is the platform adapter's job), so this stays edge code. They are
 * parsed as the CLI parses them (see ini.ts); a file the CLI refuses is an error here too, naming file and line.
 * No message ever contains a key, secret or token.
 *
 * ```ts
 * const credentials = resolveCredentials(env, { credentials: text, config: text }, { profile: "audit" });
 * ```
 */
import { IniError, parseIni, type Ini, type IniSection } from "./ini.ts";
import { secretProblem } from "../config.ts";

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
  /** Where they are, for messages (default "the shared credentials file", "the config file"). */
  credentialsPath?: string;
  configPath?: string;
}

export interface ResolveOptions {
  /** A profile named explicitly, like the CLI's `--profile`: it wins over keys in the environment. */
  profile?: string;
}

export class CredentialsError extends Error {}

type Env = Record<string, string | undefined>;

/** Credentials from the environment or the shared files; undefined when none are configured. */
export function resolveCredentials(env: Env, files: SharedFiles = {}, options: ResolveOptions = {}): Credentials | undefined {
  const { name, named } = profileName(env, options);
  // as in the CLI, a profile named but missing is an error even when the environment has keys
  const shared = named ? readShared(files) : undefined;
  if (shared && !shared.merged[name]) throw notFound(name, files);

  if (!options.profile) {
    const id = env.AWS_ACCESS_KEY_ID;
    const secret = env.AWS_SECRET_ACCESS_KEY;
    if (id) {
      if (!secret) throw new CredentialsError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both");
      const token = env.AWS_SECURITY_TOKEN ? "AWS_SECURITY_TOKEN" : "AWS_SESSION_TOKEN";
      for (const variable of ["AWS_ACCESS_KEY_ID", token]) sendable(variable, env[variable]);
      return withToken({ accessKeyId: id, secretAccessKey: secret }, env[token]);
    }
    if (secret) throw new CredentialsError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both");
  }

  const { credentials, configProfiles, merged } = shared ?? readShared(files);
  const profile = merged[name] ?? {};
  const has = (key: string) => profile[key] !== undefined;
  if (has("role_arn") && !has("web_identity_token_file")) throw unsupported(name, "role_arn");
  if (has("web_identity_token_file")) throw unsupported(name, "web_identity_token_file");
  if (!options.profile && env.AWS_WEB_IDENTITY_TOKEN_FILE) {
    throw new CredentialsError("AWS_WEB_IDENTITY_TOKEN_FILE is set (web identity), which trailpost does not resolve itself; export the credentials it gives first");
  }
  if (has("sso_account_id") || has("sso_role_name")) throw unsupported(name, has("sso_session") ? "sso_session" : "sso");
  const fromCredentials = credentials[name];
  if (fromCredentials && "aws_access_key_id" in fromCredentials) return keysOf(fromCredentials, name, credentialsLabel(files));
  if (has("login_session")) throw unsupported(name, "login_session");
  if (has("credential_process")) throw unsupported(name, "credential_process");
  const fromConfig = configProfiles[name];
  if (fromConfig && "aws_access_key_id" in fromConfig) return keysOf(fromConfig, name, configLabel(files));
  if (!named) return undefined;
  const hint = ["sso_session", "sso_start_url"].find(has);
  if (hint) throw unsupported(name, hint);
  throw new CredentialsError(`AWS profile "${name}" has no aws_access_key_id/aws_secret_access_key in ${credentialsLabel(files)} or ${configLabel(files)}`);
}

/** The region, and where it came from (for messages). */
export function resolveRegion(env: Env, files: SharedFiles = {}, options: ResolveOptions = {}): string {
  if (env.AWS_REGION) return env.AWS_REGION;
  if (env.AWS_DEFAULT_REGION) return env.AWS_DEFAULT_REGION;
  const shared = readShared(files);
  const { name, named } = profileName(env, options);
  const profile = shared.merged[name];
  if (named && !profile) throw notFound(name, files);
  const region = profile?.region;
  return typeof region === "string" && region ? region : "us-east-1";
}

function profileName(env: Env, options: ResolveOptions): { name: string; named: boolean } {
  const name = options.profile || env.AWS_DEFAULT_PROFILE || env.AWS_PROFILE;
  return name ? { name, named: true } : { name: "default", named: false };
}

interface Shared {
  /** credentials file: profile name = section name */
  credentials: Ini;
  /** config file: `[profile x]` → x, `[default]` → default */
  configProfiles: Ini;
  /** both, the credentials file's values over the config file's (botocore's full_config) */
  merged: Ini;
}

function readShared(files: SharedFiles): Shared {
  const credentials = files.credentials !== undefined ? parse(files.credentials, credentialsLabel(files)) : Object.create(null) as Ini;
  const config = files.config !== undefined ? parse(files.config, configLabel(files)) : Object.create(null) as Ini;
  const configProfiles: Ini = Object.create(null);
  for (const [section, values] of Object.entries(config)) {
    if (section.startsWith("profile")) {
      const parts = shellWords(section);
      if (parts?.length === 2) configProfiles[parts[1]!] = values;
    } else if (section === "default") configProfiles.default = values;
  }
  const merged: Ini = Object.create(null);
  for (const [name, values] of Object.entries(configProfiles)) merged[name] = { ...values };
  for (const [name, values] of Object.entries(credentials)) merged[name] = Object.assign(merged[name] ?? Object.create(null), values);
  return { credentials, configProfiles, merged };
}

function parse(text: string, label: string): Ini {
  try {
    return parseIni(text);
  } catch (error) {
    if (error instanceof IniError) throw new CredentialsError(`${label}, ${error.message} (the AWS CLI cannot read this file either)`);
    throw error;
  }
}

function keysOf(section: IniSection, profile: string, label: string): Credentials {
  const id = section.aws_access_key_id;
  const secret = section.aws_secret_access_key;
  const where = `AWS profile "${profile}" in ${label}`;
  for (const [key, value] of [["aws_access_key_id", id], ["aws_secret_access_key", secret]] as const) {
    if (typeof value === "object" || /[\r\n]/.test(value ?? "")) {
      throw new CredentialsError(`${where}: ${key} spans several lines (a line indented deeper than the key above it continues that key's value; remove the indentation)`);
    }
  }
  if (!id) throw new CredentialsError(`${where}: aws_access_key_id is empty`);
  if (secret === undefined) throw new CredentialsError(`${where} has aws_access_key_id but no aws_secret_access_key`);
  if (!secret) throw new CredentialsError(`${where}: aws_secret_access_key is empty`);
  const tokenKey = ["aws_security_token", "aws_session_token"].find((k) => section[k] !== undefined);
  const token = tokenKey ? section[tokenKey] : undefined;
  if (typeof token === "object") throw new CredentialsError(`${where}: ${tokenKey} spans several lines (a line indented deeper than the key above it continues that key's value; remove the indentation)`);
  for (const [key, value] of [["aws_access_key_id", id], [tokenKey, token]] as const) sendable(`${where}: ${key}`, value as string | undefined);
  return withToken({ accessKeyId: id as string, secretAccessKey: secret as string }, typeof token === "string" ? token : undefined);
}

/** A key id or token (they go in headers; the secret key only into the signature) that cannot go in one is a CredentialsError naming where it came from, never its value. */
function sendable(where: string, value: string | undefined): void {
  const problem = value ? secretProblem(where, value) : undefined;
  if (problem) throw new CredentialsError(problem);
}

function unsupported(profile: string, needs: string): CredentialsError {
  return new CredentialsError(
    `AWS profile "${profile}" uses ${needs}, which trailpost does not resolve itself; export its credentials first ` +
      `(AWS CLI v2): eval "$(aws configure export-credentials --profile ${profile} --format env)"`,
  );
}

function notFound(profile: string, files: SharedFiles): CredentialsError {
  return new CredentialsError(`AWS profile "${profile}" not found in ${credentialsLabel(files)} or ${configLabel(files)}`);
}

function withToken(credentials: Credentials, token: string | undefined): Credentials {
  return token ? { ...credentials, sessionToken: token } : credentials;
}

const credentialsLabel = (files: SharedFiles) => files.credentialsPath ?? "the shared credentials file";
const configLabel = (files: SharedFiles) => files.configPath ?? "the config file";

/** Python's shlex.split for a section name: words split on whitespace, with '…' and "…" quoting and \ escapes. */
function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word = `${word ?? ""}${c}`;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) word = `${word ?? ""}${text[++i]}`;
      else word = `${word ?? ""}${c}`;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\") {
      if (i + 1 >= text.length) return undefined;
      word = (word ?? "") + text[++i];
    } else word = (word ?? "") + c;
  }
  if (quote) return undefined;
  if (word !== undefined) words.push(word);
  return words;
}
