/**
 * The standalone guard itself: it must refuse the forbidden folder, and only it. The folder it refuses here is one
 * this test makes (STANDALONE_FORBIDDEN), so the test never touches the real shared folder; the default is checked
 * as a path only.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const guard = fileURLToPath(new URL("../support/standalone.mjs", import.meta.url));
const repoRoot = resolve(dirname(guard), "..", "..");
const run = (code: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [`--import=${guard}`, "--input-type=module", "-e", code], { encoding: "utf8", env: { ...process.env, ...env } });

test("a read of the forbidden folder fails under the guard, naming the path", () => {
  const forbidden = mkdtempSync(join(tmpdir(), "trailpost-forbidden-"));
  try {
    mkdirSync(join(forbidden, "peer"));
    writeFileSync(join(forbidden, "README.md"), "notes");
    writeFileSync(join(forbidden, "peer", "jq.test"), "tests");
    for (const code of [
      `import { readFileSync } from "node:fs"; readFileSync(${JSON.stringify(join(forbidden, "README.md"))});`,
      `import { readFile } from "node:fs/promises"; await readFile(${JSON.stringify(join(forbidden, "peer", "jq.test"))});`,
      `import { existsSync } from "node:fs"; existsSync(${JSON.stringify(forbidden)});`,
    ]) {
      const result = run(code, { STANDALONE_FORBIDDEN: forbidden });
      assert.notEqual(result.status, 0, `expected a failure for: ${code}`);
      assert.ok(result.stderr.includes(`standalone: the project must not read ${forbidden}`), result.stderr);
    }
    // the same reads without the guard's folder pointed there succeed: the refusal is the guard's
    const free = run(`import { readFileSync } from "node:fs"; process.stdout.write(readFileSync(${JSON.stringify(join(forbidden, "README.md"))}, "utf8"));`, { STANDALONE_FORBIDDEN: join(forbidden, "elsewhere") });
    assert.equal(free.status, 0, free.stderr);
    assert.equal(free.stdout, "notes");
  } finally {
    rmSync(forbidden, { recursive: true, force: true });
  }
});

test("by default the guard refuses the folder beside the clone", () => {
  const env = { ...process.env };
  delete env.STANDALONE_FORBIDDEN;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", `import { FORBIDDEN } from ${JSON.stringify(guard)}; process.stdout.write(FORBIDDEN);`], { encoding: "utf8", env });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, join(dirname(repoRoot), "sh" + "ared"));
});

test("other reads work under the guard", () => {
  const result = run(`import { readFileSync } from "node:fs"; process.stdout.write(String(readFileSync(${JSON.stringify(fileURLToPath(import.meta.url))}, "utf8").length > 0));`);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "true");
});
