/**
 * How a script runs: `main` with the exit-code contract (0 everything landed, 1 some objects or records failed, 2
 * usage or configuration error), the `--select` program, and the words of summaries. Every script imports it;
 * what connects to AWS and the engine is in common.ts, loaded only by the scripts that connect (split.ts and
 * gunzip.ts start faster without it).
 */
import { CredentialsError } from "../../lib/aws/credentials.ts";
import { ConfigError, peekSetting } from "../../lib/config.ts";
import { JqSyntaxError, parseProgram, recordsProblem, type Program } from "../../lib/jq/mod.ts";
import type { Ledger } from "../../lib/ledger.ts";
import { DEFAULT_PROGRAM } from "../../lib/streams/select.ts";
import { args, endRun, env, runEnding, superviseRun, trustCertificates } from "./platform.ts";
import { redactor, secretsOf } from "./secrets.ts";

/**
 * Runs a script body: ConfigError exits 2 with every problem listed; any other error exits 1, one line. What must
 * hold for the whole run is arranged first, before the body does anything: trusting ES_CA_CERT (under Node, by
 * running the script once more with NODE_EXTRA_CA_CERTS; this process then only waits for it), and the end of a
 * run cut short (platform.ts's `superviseRun`: a signal finishes the dead-letter file and says where it is, a
 * closed stdout ends the run quietly). Every line printed here has the run's secrets replaced by `***`.
 */
export async function main(name: string, body: () => Promise<number>): Promise<never> {
  const hide = redactor(secretsOf(args(), env()));
  const say = (line: string) => console.error(hide(`${name}: ${line}`));
  let code: number;
  try {
    await trustCertificates(peekSetting("esCaCert", args(), env()));
    superviseRun(say);
    code = await body();
  } catch (error) {
    await runEnding(); // an error caused by the run being stopped is not news
    if (error instanceof ConfigError) {
      for (const problem of error.problems) say(problem);
      say("see --help");
      code = 2;
    } else if (error instanceof CredentialsError) {
      say(error.message);
      code = 2;
    } else {
      say(error instanceof Error ? error.message : String(error));
      if (env().TRAILPOST_DEBUG && error instanceof Error) console.error(hide(error.stack ?? ""));
      code = 1;
    }
  }
  return endRun(code);
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** Failures, one per line, each naming its object, line or record. */
export function printFailures(name: string, ledger: Ledger, limit = 50): void {
  for (const f of ledger.failures.slice(0, limit)) console.error(`${name}: FAILED ${f.subject}: ${f.reason}`);
  const more = Math.max(0, ledger.failures.length - limit) + ledger.unlisted;
  if (more > 0) console.error(`${name}: … and ${more} more failures`);
}

/**
 * The `--select` program (default `.Records[]`); a program outside the subset is a configuration error. With
 * `records` (ingest), so is a program whose outputs are not the records themselves, such as a projection.
 */
export function programOf(source: string | undefined, options: { records?: boolean } = {}): Program {
  let program: Program;
  try {
    program = parseProgram(source ?? DEFAULT_PROGRAM);
  } catch (error) {
    if (error instanceof JqSyntaxError) throw new ConfigError([`--select: ${error.message}`]);
    throw error;
  }
  const problem = options.records ? recordsProblem(program) : undefined;
  if (problem !== undefined) {
    throw new ConfigError([
      `--select: this program's outputs are not whole CloudTrail records, and ingest indexes records: ${problem}. ` +
        `An ingest program is .Records[] followed only by select(...), empty, "," and "|" of those. ` +
        `To print projections, use split.ts --select '${program.source.replace(/'/g, `'\\''`)}'`,
    ]);
  }
  return program;
}
