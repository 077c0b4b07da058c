/**
 * Which JDKs are installed, and which one an engine runs on. Looked for in `JAVA_HOME`, then in the JDK directories
 * (`JDK_DIRS`, default `/usr/lib/jvm` and macOS's `/Library/Java/JavaVirtualMachines`), then `java` on PATH. The
 * version is read from each JDK's `release` file (no process is started).
 *
 * ```ts
 * const jdks = findJdks(process.env);
 * const jdk = pickJdk(jdks, 21);     // JAVA_HOME when it is new enough, else the oldest JDK that is
 * ```
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

export interface Jdk {
  /** The JDK's home directory (what JAVA_HOME would be). */
  home: string;
  /** `<home>/bin/java` */
  java: string;
  /** "17.0.15" */
  version: string;
  /** 17 */
  feature: number;
  /** Whether it can compile (`bin/javac`): needed to build a launcher, not to run one. */
  compiler: boolean;
  /** Where it was found. */
  source: "JAVA_HOME" | "JDK_DIRS" | "PATH";
}

export const DEFAULT_JDK_DIRS = ["/usr/lib/jvm", "/Library/Java/JavaVirtualMachines"];

/** Every JDK found, JAVA_HOME first, each home once (symlinked aliases are the same JDK). */
export function findJdks(env: Record<string, string | undefined>): Jdk[] {
  const found: Jdk[] = [];
  const seen = new Set<string>();
  const add = (home: string, source: Jdk["source"]) => {
    const jdk = readJdk(home, source);
    if (!jdk) return;
    if (seen.has(jdk.home)) return;
    seen.add(jdk.home);
    found.push(jdk);
  };
  if (env.JAVA_HOME) add(env.JAVA_HOME, "JAVA_HOME");
  const dirs = env.JDK_DIRS !== undefined ? env.JDK_DIRS.split(delimiter).filter(Boolean) : DEFAULT_JDK_DIRS;
  for (const dir of dirs) {
    for (const name of listDir(dir).sort()) {
      add(join(dir, name), "JDK_DIRS");
      add(join(dir, name, "Contents", "Home"), "JDK_DIRS"); // macOS bundles
    }
  }
  const onPath = javaOnPath(env.PATH ?? "");
  if (onPath) add(dirname(dirname(realpath(onPath))), "PATH");
  return found;
}

/**
 * The JDK to run (or, with `needCompiler`, to build) an engine that needs Java `min`+: JAVA_HOME when it fits,
 * else the oldest JDK that does (the closest to what the engine was released for).
 */
export function pickJdk(jdks: readonly Jdk[], min: number, needCompiler = false): Jdk | undefined {
  const fits = jdks.filter((j) => j.feature >= min && (!needCompiler || j.compiler));
  const fromHome = fits.find((j) => j.source === "JAVA_HOME");
  if (fromHome) return fromHome;
  return [...fits].sort((a, b) => a.feature - b.feature)[0];
}

/** One line for `make status` and errors: "17.0.15 (/usr/lib/jvm/java-17-openjdk-amd64)". */
export function describeJdk(jdk: Jdk): string {
  return `${jdk.version} (${jdk.home})`;
}

/** The error line when no JDK fits: what is needed, what was found, where it looked. */
export function missingJdk(what: string, min: number, jdks: readonly Jdk[], needCompiler = false): string {
  const seen = jdks.length ? `found ${jdks.map((j) => `${j.version}${needCompiler && !j.compiler ? " (no javac)" : ""}`).join(", ")}` : "found none in JAVA_HOME, /usr/lib/jvm (JDK_DIRS) or PATH";
  return `${what} needs a JDK ${min} or newer (${seen}): install one, or set JAVA_HOME to it`;
}

function readJdk(given: string, source: Jdk["source"]): Jdk | undefined {
  const home = realpath(given);
  const java = join(home, "bin", "java");
  if (!isFile(java)) return undefined;
  const version = releaseVersion(home);
  if (!version) return undefined;
  const feature = Number.parseInt(version.startsWith("1.") ? version.split(".")[1]! : version, 10);
  if (!Number.isInteger(feature)) return undefined;
  return { home, java, version, feature, compiler: isFile(join(home, "bin", "javac")), source };
}

/** JAVA_VERSION="17.0.15" from `<home>/release` (every JDK since 9 has it). */
function releaseVersion(home: string): string | undefined {
  try {
    return /^JAVA_VERSION="([^"]+)"/m.exec(readFileSync(join(home, "release"), "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

function javaOnPath(path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir && isFile(join(dir, "java"))) return join(dir, "java");
  }
  return undefined;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
