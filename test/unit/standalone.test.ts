/** The standalone guard itself: it must refuse the shared folder, and only it. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const guard = fileURLToPath(new URL("../support/standalone.mjs", import.meta.url));
const run = (code: string) => spawnSync(process.execPath, [`--import=${guard}`, "--input-type=module", "-e", code], { encoding: "utf8" });

test("a read of ../shared fails under the guard, naming the path", () => {
  const FORBIDDEN = fileURLToPath(new URL("../../../" + "shared", import.meta.url));
  for (const code of [
    `import { readFileSync } from "node:fs"; readFileSync(${JSON.stringify(FORBIDDEN + "/README.md")});`,
    `import { readFile } from "node:fs/promises"; await readFile(${JSON.stringify(FORBIDDEN + "/peer/jq.test")});`,
    `import { existsSync } from "node:fs"; existsSync(${JSON.stringify(FORBIDDEN)});`,
  ]) {
    const result = run(code);
    assert.notEqual(result.status, 0, `expected a failure for: ${code}`);
    assert.match(result.stderr, /standalone: the project must not read .*shared/);
  }
});

test("other reads work under the guard", () => {
  const result = run(`import { readFileSync } from "node:fs"; process.stdout.write(String(readFileSync(${JSON.stringify(fileURLToPath(import.meta.url))}, "utf8").length > 0));`);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "true");
});
