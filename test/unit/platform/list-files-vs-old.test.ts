/**
 * Hostile review: listFiles (no stat per plain entry) against the walk before 6e2c042 (stat and realpath of every
 * path), over seeded random trees of files, directories and links (relative and absolute, to files, to
 * directories, to parents, broken, chains): the same list, or the same error.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, dirname } from "node:path";
import { after, test } from "node:test";
import { listFiles } from "../../../scripts/runtime/platform.ts";

const base = mkdtempSync(join(tmpdir(), "trailpost-r4-list-"));
after(() => rmSync(base, { recursive: true, force: true }));

async function oldListFiles(paths: string[], accept: (path: string) => boolean): Promise<{ path: string; root: string }[]> {
  const out: { path: string; root: string }[] = [];
  const seen = new Set<string>();
  const walk = async (path: string, root: string): Promise<void> => {
    let s;
    let real: string;
    let names: string[] = [];
    try {
      s = await stat(path);
      if (!s.isDirectory() && !s.isFile()) return;
      real = await realpath(path);
      if (seen.has(real)) return;
      if (s.isDirectory()) names = (await readdir(path)).sort();
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const why = e.code === "ELOOP" ? "symbolic link loop" : e.code === "EACCES" ? "permission denied" : e.code !== "ENOENT" ? e.message : (await lstat(path).then((l) => l.isSymbolicLink(), () => false)) ? "broken symbolic link" : "no such file or directory";
      throw new Error(`${path}: ${why}`);
    }
    if (s.isDirectory()) {
      seen.add(real);
      for (const name of names) await walk(join(path, name), root);
    } else if (path === root || accept(path)) {
      seen.add(real);
      out.push({ path, root });
    }
  };
  for (const path of paths) await walk(path, path);
  return out;
}

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

const outcome = (p: Promise<unknown>) => p.then((v) => JSON.stringify(v), (e: Error) => `error ${e.message}`);

test("random trees with links: the same files in the same order, or the same error, as the old walk", async () => {
  let errors = 0;
  let links = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const random = rng(seed);
    const pick = <T>(a: T[]) => a[Math.floor(random() * a.length)]!;
    const root = join(base, `t${seed}`);
    const dirs = [root];
    const files: string[] = [];
    mkdirSync(root);
    const names = ["a", "b", "c", "d.json", "e.json.gz", "f.json", "Z", "_x", "é.json", "10.json", "9.json"];
    for (let i = 0; i < 25; i++) {
      const parent = pick(dirs);
      const name = pick(names);
      const path = join(parent, name);
      const kind = random();
      try {
        if (kind < 0.3) {
          mkdirSync(path);
          dirs.push(path);
        } else if (kind < 0.65) {
          writeFileSync(path, "x");
          files.push(path);
        } else {
          const target = random() < 0.8 ? pick([...dirs, ...files, ...dirs]) : join(parent, "missing");
          if (random() < 0.4) continue; // fewer broken ones
          symlinkSync(random() < 0.5 ? target : relative(dirname(path), target) || ".", path);
          links++;
        }
      } catch {
        // exists
      }
    }
    const accept = (p: string) => /\.json(\.gz)?$/.test(p);
    const roots = random() < 0.3 ? [root, join(root, pick(names)), root] : [root];
    const now = await outcome(listFiles(roots, accept));
    const before = await outcome(oldListFiles(roots, accept));
    if (before.startsWith("error")) errors++;
    assert.equal(now, before, `seed ${seed}`);
  }
  assert.ok(links > 100, `links made: ${links}`);
  assert.ok(errors > 3 && errors < 140, `errors: ${errors}`);
});
