/**
 * The project stands alone: nothing reads the workspace's `shared/` folder (the notes beside a developer's clone,
 * which a user's clone does not have) at build, run or test time.
 *
 * - Preloaded into every Node process of `make test` (`NODE_OPTIONS=--import=…/standalone.mjs`): any file-system
 *   access to that folder throws, so a test or script that still reads it fails where it reads.
 * - `node test/support/standalone.mjs --scan` fails when a tracked file names that folder by path.
 *
 * Plain JavaScript, so that it loads before tsx.
 */
import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
import { dirname, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);
const repoRoot = resolve(dirname(self), "..", "..");
/**
 * The folder a developer's clone has beside it, and a user's clone does not. STANDALONE_FORBIDDEN names another
 * one instead: the guard's own test points it at a folder of its own, so that it never touches the real one.
 */
export const FORBIDDEN = process.env.STANDALONE_FORBIDDEN ? resolve(process.env.STANDALONE_FORBIDDEN) : resolve(repoRoot, "..", "shared");

/** @param {unknown} path */
export function isForbidden(path) {
  if (typeof path !== "string" && !(path instanceof URL)) return false;
  const absolute = resolve(path instanceof URL ? fileURLToPath(path) : path);
  return absolute === FORBIDDEN || absolute.startsWith(FORBIDDEN + sep);
}

const SYNC = ["readFileSync", "readFile", "openSync", "open", "existsSync", "statSync", "stat", "lstatSync", "lstat", "readdirSync", "readdir", "createReadStream", "accessSync", "access", "opendirSync", "realpathSync", "cpSync", "copyFileSync"];
const PROMISES = ["readFile", "open", "stat", "lstat", "readdir", "access", "opendir", "realpath", "cp", "copyFile"];

/** @param {Record<string, unknown>} target @param {string} name */
function wrap(target, name) {
  const original = target[name];
  if (typeof original !== "function") return;
  target[name] = function (/** @type {unknown} */ path, /** @type {unknown[]} */ ...rest) {
    if (isForbidden(path)) throw new Error(`standalone: the project must not read ${String(path)}; copy what it needs into the repository`);
    return original.call(this, path, ...rest);
  };
}

for (const name of SYNC) wrap(/** @type {any} */ (fs), name);
for (const name of PROMISES) wrap(/** @type {any} */ (fs.promises), name);
syncBuiltinESMExports();

/** Tracked files that name the shared folder by path. */
export function scanTrackedFiles(root = repoRoot) {
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean);
  const pattern = new RegExp(["(\\.\\./)+", "shared/", "|/work/", "shared\\b"].join(""));
  const hits = [];
  for (const file of files) {
    const path = resolve(root, file);
    if (path === self || !fs.existsSync(path) || fs.statSync(path).size > 5_000_000) continue;
    fs.readFileSync(path, "utf8").split("\n").forEach((line, i) => {
      if (pattern.test(line)) hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 160)}`);
    });
  }
  return hits;
}

if (process.argv[1] === self && process.argv.includes("--scan")) {
  const hits = scanTrackedFiles();
  for (const hit of hits) console.error(`standalone: names the shared folder: ${hit}`);
  if (hits.length) process.exit(1);
  console.error("standalone: no tracked file names the shared folder; every Node process of the tests refuses to read it");
}
