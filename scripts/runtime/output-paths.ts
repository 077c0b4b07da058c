/**
 * Where each listed input file goes under an `--out` directory, decided before anything is written: its path
 * relative to the directory it was found in (or its name, for a file given by itself), renamed. Two inputs that
 * would write one output (`x.json` and `x.json.gz`; `d1/x.json` and `d2/x.json` given as files; two directories
 * holding the same names) are a configuration error naming both, never a silent overwrite; so is an output that
 * is one of the inputs.
 *
 * ```ts
 * const targets = outputPaths(await listFiles(["work/json"], isJson), "work/records", (rel) => `${rel}.ndjson`);
 * targets.get(file.path); // "work/records/…/x.json.ndjson"
 * ```
 */
import { ConfigError } from "../../lib/config.ts";
import { join, relative, resolve, sep } from "node:path";

export function outputPaths(files: readonly { path: string; root: string }[], outDir: string, rename: (name: string) => string): Map<string, string> {
  const targets = new Map<string, string>();
  const claimed = new Map<string, string>(); // resolved output → the input writing it
  const inputs = new Set(files.map((f) => resolve(f.path)));
  const problems: string[] = [];
  for (const file of files) {
    const rel = file.path === file.root ? file.path.split(sep).pop()! : relative(file.root, file.path);
    const target = join(outDir, rename(rel));
    const key = resolve(target);
    const other = claimed.get(key);
    if (other !== undefined) problems.push(`--out: ${file.path} and ${other} would both be written to ${target}; give them in separate runs`);
    else if (inputs.has(key)) problems.push(`--out: ${file.path} would be written to ${target}, which is one of the inputs`);
    else claimed.set(key, file.path);
    targets.set(file.path, target);
  }
  if (problems.length) throw new ConfigError(problems);
  return targets;
}
