/**
 * A/B micro-benchmark of the `.Records[] | select(…)` path: two checkouts' lib/jq evaluate the same select
 * programs on the same 20,000 parsed records (and their selectFromText on the files), alternating in one
 * process so both see the same machine load. Not part of the test suite.
 *
 *   git archive <base-commit> | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   node --import tsx test/unit/jq/bench-ab.ts /tmp/base .
 */
import { resolve } from "node:path";

const [oldRoot, newRoot] = [resolve(process.argv[2]!), resolve(process.argv[3] ?? ".")];
const { generateDayJson } = await import(`${newRoot}/fixtures/generate.ts`);
const old = await import(`${oldRoot}/lib/jq/mod.ts`);
const neu = await import(`${newRoot}/lib/jq/mod.ts`);
const oldSelect = await import(`${oldRoot}/lib/streams/select.ts`);
const newSelect = await import(`${newRoot}/lib/streams/select.ts`);
const texts: string[] = [];
for (const f of generateDayJson({ date: "2024-03-04", records: 20000, seed: 7 })) texts.push(f.json);
const records: unknown[] = [];
for (const t of texts) for (const r of (JSON.parse(t) as { Records: unknown[] }).Records) records.push(r);
const programs = [
  `select(.eventName == "RunInstances")`,
  `select(.readOnly == false and .eventSource == "ec2.amazonaws.com")`,
  `select(.userIdentity.type == "IAMUser" or .errorCode != null)`,
  `select(.requestParameters.instanceType == "t3.micro")`,
];
const stat = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return `min ${s[0]!.toFixed(1)} median ${s[s.length >> 1]!.toFixed(1)}`; };
for (const source of programs) {
  const [po, pn] = [old.parseProgram(source), neu.parseProgram(source)];
  const times = { old: [] as number[], new: [] as number[] };
  for (let run = 0; run < 40; run++) {
    const sides: Array<["old" | "new", typeof old, unknown]> = [["old", old, po], ["new", neu, pn]];
    if (run % 2) sides.reverse();
    for (const [name, lib, p] of sides) {
      const t0 = performance.now();
      for (const r of records) lib.forEachOutput(p, r, () => {});
      times[name].push(performance.now() - t0);
    }
  }
  console.log(`eval 20000 records ${source.padEnd(70)} old ${stat(times.old)} ms | new ${stat(times.new)} ms`);
}
// the whole select path (splitRecords + the select stage), per file text
for (const source of [`.Records[] | select(.eventName == "RunInstances")`, `.Records[]`]) {
  const [po, pn] = [old.parseProgram(source), neu.parseProgram(source)];
  const times = { old: [] as number[], new: [] as number[] };
  for (let run = 0; run < 10; run++) {
    const sides: Array<["old" | "new", typeof oldSelect, unknown]> = [["old", oldSelect, po], ["new", newSelect, pn]];
    if (run % 2) sides.reverse();
    for (const [name, sel, p] of sides) {
      const t0 = performance.now();
      for (const t of texts) sel.selectFromText(t, p, () => {});
      times[name].push(performance.now() - t0);
    }
  }
  console.log(`selectFromText ${texts.length} files ${source.padEnd(55)} old ${stat(times.old)} ms | new ${stat(times.new)} ms`);
}
