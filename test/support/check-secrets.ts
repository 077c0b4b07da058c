/**
 * Fails when a test secret (secrets.ts) appears in the captured output of the test run or in a file the run
 * left under work/ or in dead-letter files.
 *
 *   node --import tsx test/support/check-secrets.ts work/test-output.log [more files or directories]
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { TEST_SECRETS } from "./secrets.ts";

const found: string[] = [];
let scanned = 0;
const scan = (path: string) => {
  let s;
  try {
    s = statSync(path);
  } catch {
    return;
  }
  if (s.isDirectory()) return readdirSync(path).forEach((name) => scan(join(path, name)));
  if (!s.isFile() || s.size > 200 * 1024 * 1024) return;
  const text = readFileSync(path, "latin1");
  scanned++;
  for (const [name, secret] of Object.entries(TEST_SECRETS)) if (text.includes(secret)) found.push(`${path}: contains the test ${name}`);
};
const paths = process.argv.slice(2);
if (!paths.length) {
  console.error("usage: check-secrets.ts FILE|DIR ...");
  process.exit(2);
}
paths.forEach(scan);
if (found.length) {
  for (const f of found) console.error(`check-secrets: ${f}`);
  process.exit(1);
}
console.error(`check-secrets: none of ${Object.keys(TEST_SECRETS).length} test secrets in ${scanned} captured files`);
