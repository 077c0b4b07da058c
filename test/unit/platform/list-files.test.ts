/**
 * listFiles and symbolic links: links are followed, but each real directory and file is taken once, so a loop
 * ends, nothing is read twice, and a broken link is an error naming it.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { listFiles } from "../../../scripts/runtime/platform.ts";

const root = mkdtempSync(join(tmpdir(), "trailpost-list-"));
after(() => rmSync(root, { recursive: true, force: true }));
const gz = (p: string) => p.endsWith(".json.gz");

function tree(name: string, files: string[]): string {
  const dir = join(root, name);
  for (const f of files) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), "x");
  }
  return dir;
}

/** Fails instead of hanging when the walk does not end. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`listFiles did not end within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test("symlink loops end: links back to the directory itself and to a parent are skipped, every file listed once", async () => {
  const dir = tree("loops", ["a.json.gz", "sub/b.json.gz"]);
  symlinkSync(".", join(dir, "self"));
  symlinkSync("..", join(dir, "sub", "up"));
  symlinkSync(dir, join(dir, "sub", "absolute"));
  const files = await within(10_000, listFiles([dir], gz));
  assert.deepEqual(files.map((f) => f.path), [join(dir, "a.json.gz"), join(dir, "sub", "b.json.gz")]);
});

test("a link to a directory elsewhere is followed, and a second way to the same file is not read twice", async () => {
  const other = tree("other", ["c.json.gz"]);
  const dir = tree("links", ["a.json.gz"]);
  symlinkSync(other, join(dir, "elsewhere"));
  symlinkSync(join(dir, "a.json.gz"), join(dir, "z-again.json.gz"));
  const files = await within(10_000, listFiles([dir], gz));
  assert.deepEqual(files.map((f) => f.path), [join(dir, "a.json.gz"), join(dir, "elsewhere", "c.json.gz")]);
  assert.equal(files[1]!.root, dir);
});

test("a link named on the command line is followed; the same file twice is listed once", async () => {
  const dir = tree("named", ["a.json.gz"]);
  symlinkSync(dir, join(root, "named-link"));
  const files = await listFiles([join(root, "named-link"), join(dir, "a.json.gz")], gz);
  assert.deepEqual(files.map((f) => f.path), [join(root, "named-link", "a.json.gz")]);
});

test("a broken link is an error naming it; so is a link that points to itself", async () => {
  const dir = tree("broken", ["a.json.gz"]);
  symlinkSync(join(dir, "missing"), join(dir, "dangling.json.gz"));
  await assert.rejects(listFiles([dir], gz), { message: `${join(dir, "dangling.json.gz")}: broken symbolic link` });
  const loop = tree("selfloop", ["a.json.gz"]);
  symlinkSync(join(loop, "me"), join(loop, "me"));
  await assert.rejects(listFiles([loop], gz), { message: `${join(loop, "me")}: symbolic link loop` });
  await assert.rejects(listFiles([join(root, "nowhere")], gz), { message: `${join(root, "nowhere")}: no such file or directory` });
});

test("a link sorted before its target is the way taken: the file and the directory it points to are not listed again", async () => {
  const dir = tree("first-way", ["b.json.gz", "real/c.json.gz", "real/deeper/d.json.gz"]);
  symlinkSync(join(dir, "b.json.gz"), join(dir, "a-link.json.gz"));
  symlinkSync("real", join(dir, "a-dir"));
  const files = await within(10_000, listFiles([dir], gz));
  assert.deepEqual(files.map((f) => f.path), [join(dir, "a-dir", "c.json.gz"), join(dir, "a-dir", "deeper", "d.json.gz"), join(dir, "a-link.json.gz")]);
});
