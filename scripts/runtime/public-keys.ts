/**
 * Where validate.ts and ingest --validate take CloudTrail's public keys from: a file of
 * `aws cloudtrail list-public-keys` output (`--public-keys`), or ListPublicKeys per region (cached).
 *
 *   const keys = await publicKeysFrom(extra, aws, values);
 */
import { CloudTrail } from "../../lib/aws/cloudtrail.ts";
import { ConfigError, type Setting, type SettingName } from "../../lib/config.ts";
import { cachedKeys, cloudTrailKeys, fileKeys, parsePublicKeyList, PublicKeyListError, type PublicKeySource } from "../../lib/integrity/public-keys.ts";
import type { Aws } from "./common.ts";
import { fileObjects } from "./platform.ts";

export const KEY_FLAGS: Record<string, Setting> = {
  publicKeys: { env: "CLOUDTRAIL_PUBLIC_KEYS", flag: "--public-keys", help: "JSON file of `aws cloudtrail list-public-keys` output, instead of calling ListPublicKeys" },
  cloudtrailEndpoint: { env: "AWS_ENDPOINT_URL_CLOUDTRAIL", flag: "--cloudtrail-endpoint-url", help: "custom CloudTrail endpoint (wins over AWS_ENDPOINT_URL)" },
};

export async function publicKeysFrom(extra: Record<string, string>, aws: Aws, values: Partial<Record<SettingName, string>>): Promise<PublicKeySource> {
  if (extra.publicKeys) return fileKeys(await readKeyFile(extra.publicKeys));
  const endpoint = extra.cloudtrailEndpoint ?? values.endpoint;
  return cachedKeys(cloudTrailKeys((region) => new CloudTrail({ credentials: aws.credentials, region, endpoint })));
}

async function readKeyFile(path: string) {
  const reader = fileObjects([path]).getReader();
  const { value: file } = await reader.read();
  let text: string;
  try {
    text = await new Response(file!.body).text();
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ConfigError([`--public-keys: ${path}: ${code === "ENOENT" ? "no such file" : error instanceof Error ? error.message : String(error)}`]);
  }
  try {
    return parsePublicKeyList(JSON.parse(text), path);
  } catch (error) {
    if (error instanceof PublicKeyListError) throw new ConfigError([`--public-keys: ${error.message}`]);
    throw new ConfigError([`--public-keys: ${path} is not JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
}
