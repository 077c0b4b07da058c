/**
 * lib/ is edge code: it must run on web-standard APIs alone (Deno, workers, browsers), with every machine
 * concern in scripts/runtime/platform.ts. This scans every .ts file under lib/ with the TypeScript parser (so comments
 * and strings never count) and fails, naming file and line, on:
 *   - an import or export of a `node:` module (also `import type`, dynamic `import()` and `import x = require()`),
 *   - `process.…`, `Buffer`, `require(…)`, `__dirname`, `Deno.…` (also through `globalThis.`).
 * A bare `typeof Deno` feature test is not a use.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LIB = join(ROOT, "lib");

interface Finding {
  line: number;
  what: string;
}

/** Forbidden wherever they are referenced. */
const ANY_USE = new Set(["Buffer", "__dirname", "__filename"]);
/** Forbidden when a member is taken (`process.env`, `Deno["env"]`). */
const MEMBER_USE = new Set(["process", "Deno"]);
/** Forbidden when called. */
const CALL_USE = new Set(["require"]);

/** Every non-edge use in one file's source. */
export function findNonEdge(source: string, fileName = "x.ts"): Finding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const at = (node: ts.Node, what: string) => findings.push({ line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, what });
  const moduleName = (node: ts.Expression | undefined) => (node && ts.isStringLiteralLike(node) ? node.text : undefined);

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const name = moduleName(node.moduleSpecifier);
      if (name?.startsWith("node:")) at(node, `imports ${name}`);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const name = moduleName(node.moduleReference.expression);
      at(node, `import = require(${JSON.stringify(name)})`);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const name = moduleName(node.arguments[0]);
      if (name?.startsWith("node:")) at(node, `imports ${name} dynamically`);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal) && arg.literal.text.startsWith("node:")) at(node, `import("${arg.literal.text}") type`);
    } else if (ts.isIdentifier(node) && isGlobalReference(node)) {
      const use = forbiddenUse(node, node.text);
      if (use) at(node, use);
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "globalThis") {
      const use = forbiddenUse(node, node.name.text);
      if (use) at(node, `globalThis.${use}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

/** An identifier that refers to the global (not a property name, a declared name, an object key, …). */
function isGlobalReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if (ts.isQualifiedName(parent) && parent.right === id) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertySignature(parent) || ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent)) && parent.name === id) return false;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isImportClause(parent) || ts.isNamespaceImport(parent)) return false;
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent) || ts.isClassDeclaration(parent)) && parent.name === id) return false;
  if (ts.isBindingElement(parent) && parent.propertyName === id) return false;
  return true;
}

/** `node` is a reference to the global `name` (an identifier, or `globalThis.name`): how it is used, if forbidden. */
function forbiddenUse(node: ts.Expression, name: string): string | undefined {
  let inner: ts.Node = node;
  while (ts.isParenthesizedExpression(inner.parent) || ts.isAsExpression(inner.parent) || ts.isNonNullExpression(inner.parent)) inner = inner.parent;
  const parent = inner.parent;
  const member = (ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) && parent.expression === inner ? parent : undefined;
  if (ANY_USE.has(name)) return name;
  if (MEMBER_USE.has(name) && member && ts.isPropertyAccessExpression(member)) return `${name}.${member.name.text}`;
  if (MEMBER_USE.has(name) && member && ts.isElementAccessExpression(member)) return `${name}[…]`;
  if (CALL_USE.has(name) && ts.isCallExpression(parent) && parent.expression === inner) return `${name}(…)`;
  return undefined;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []))
    .sort();
}

describe("the scanner itself", () => {
  test("ignores comments, strings, property names and declarations", () => {
    const source = [
      "// import { readFile } from 'node:fs'; process.env.X; Buffer.from('x');",
      "/* require('fs'); __dirname; Deno.env */",
      "/** a Node Buffer is often a view into a larger pool (process.argv) */",
      'const s = "process.env and Buffer and require( and node:fs";',
      "const t = `Deno.exit ${1} __dirname`;",
      "const o = { process: 1, Buffer: 2 }; o.process; o.Buffer;",
      "interface I { Deno: string; require(): void }",
      'import { something } from "./node:not-a-builtin.ts";',
      "const re = /process\\.env|Buffer/;",
      'const onDeno = typeof Deno !== "undefined" && "process" in globalThis;',
      "const x = o.require(1); function f(process: string) { return process; }",
    ].join("\n");
    assert.deepEqual(findNonEdge(source), []);
  });

  test("finds each forbidden use with its line", () => {
    const source = [
      'import { readFile } from "node:fs/promises";', // 1
      'import type { Readable } from "node:stream";', // 2
      'export { gzipSync } from "node:zlib";', // 3
      "const a = process.env.HOME;", // 4
      "const b = Buffer.from('x');", // 5
      "const c = require('fs');", // 6
      "const d = __dirname;", // 7
      "const e = Deno.env.get('X');", // 8
      "const f = globalThis.process.argv;", // 9
      'const g = await import("node:os");', // 10
      "let h: Buffer;", // 11
      'type T = import("node:http").Server;', // 12
      "const i = (process as any).env;", // 13
      "const j = Deno['env'];", // 14
    ].join("\n");
    const lines = findNonEdge(source).map((f) => f.line);
    for (let line = 1; line <= 14; line++) assert.ok(lines.includes(line), `line ${line} not found: ${JSON.stringify(findNonEdge(source))}`);
  });
});

describe("lib/ is edge code", () => {
  const files = tsFiles(LIB);

  test("there are lib files to check", () => {
    assert.ok(files.length > 10, `only ${files.length} files under ${LIB}`);
    assert.ok(files.some((f) => f.endsWith(join("search", "client.ts"))), "lib/search/client.ts is scanned");
  });

  for (const file of files) {
    const name = relative(ROOT, file);
    test(name, () => {
      const findings = findNonEdge(readFileSync(file, "utf8"), file);
      assert.deepEqual(findings.map((f) => `${name}:${f.line}: ${f.what}`), [], `${name} is not edge code:\n${findings.map((f) => `  ${name}:${f.line}: ${f.what}`).join("\n")}`);
    });
  }
});
