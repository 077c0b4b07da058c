/**
 * jq's regular expressions (`test`, `match`) for the part of Oniguruma's syntax that JavaScript reads the
 * same way. jq 1.6 compiles patterns with Oniguruma (Perl_NG syntax, UTF-8, ONIG_OPTION_CAPTURE_GROUP);
 * this module parses a pattern itself, rejects every construct whose meaning differs between the two
 * engines (or between jq versions), and builds an equivalent JavaScript RegExp (flag `u`, codepoints).
 *
 *   regexFor("^AKIA[A-Z0-9]+$", null, false).regexp.test("AKIAEXAMPLE")   // true
 *   regexFor("\\d+", null, false)   // throws RegexUnsupported: \d matches every Unicode digit in Oniguruma…
 *
 * Accepted: literal characters, `.`, `^`, `$`, `|`, `(…)`, `(?:…)`, `(?<name>…)`, `[…]` and `[^…]` with
 * ranges, the quantifiers `* + ? {n} {n,} {n,m}` and their lazy forms, escaped punctuation, `\t \n \r \f`,
 * and the flags "g" and "i" (with "i", ASCII patterns only, without adjacent characters that Oniguruma's full
 * case folding joins: "ss" matches "ß" and "fi" matches "ﬁ" in jq). The translations that make them mean the same: `.` → `[^\n]` (Oniguruma's dot takes
 * `\r` and U+2028), `$` → `(?=\n?$)` (Oniguruma's `$` also matches before a final newline).
 *
 * Rejected, with a message naming the construct: `\d \w \s \b` and their negations (Unicode in Oniguruma,
 * ASCII in JavaScript), every other letter or digit escape (backreferences, `\p{…}`, `\A`, `\x…`),
 * lookaround and other `(?…)` groups, nested classes, POSIX brackets and `&&` in classes, possessive and
 * stacked quantifiers, quantified empty-matching groups, flags other than "g" and "i", and for `match` patterns that can match the empty string (jq 1.6 and 1.7 report
 * empty matches differently) or capture inside a repeated group (JavaScript forgets an earlier iteration's
 * capture, Oniguruma keeps it).
 */

/** A pattern (or flag) outside the supported syntax; the message names the construct. */
export class RegexUnsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegexUnsupported";
  }
}

export interface JqRegex {
  /** Flags `g` (searches start at `lastIndex`), `u` (codepoints) and `d` (capture indices). */
  readonly regexp: RegExp;
  /** The name of each capture group (1-based group i is names[i - 1]), null when unnamed. */
  readonly names: readonly (string | null)[];
  readonly global: boolean;
}

/** jq 1.6's modifier letters; only "g" is supported. */
const JQ_FLAGS = "gixmsplng";

/** Escaped ASCII punctuation that Oniguruma (Perl_NG) and JavaScript both read as the character itself. */
const LITERAL_ESCAPES = new Set([..."\\^$.|?*+()[]{}/-!\"#%&,:;=@_~ "]);
const CONTROL_ESCAPES: Readonly<Record<string, string>> = { t: "\t", n: "\n", r: "\r", f: "\f" };

const MAX_REPEAT = 1000;
const MAX_CACHED = 500;
const cache = new Map<string, JqRegex>();

/**
 * The compiled form of a jq pattern and modifier string (`null` for none), cached.
 * @throws RegexUnsupported
 */
export function regexFor(pattern: string, flags: string | null, forMatch: boolean): JqRegex {
  const cacheKey = `${forMatch ? "m" : "t"}${flags ?? ""}\u0000${pattern}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const { global, ignoreCase } = checkFlags(pattern, flags);
  const translated = new Translator(pattern, forMatch, ignoreCase).translate();
  const compiled: JqRegex = { regexp: new RegExp(translated.source, ignoreCase ? "gudi" : "gud"), names: translated.names, global };
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(cacheKey, compiled);
  return compiled;
}

/** For the parser: the problem with a literal pattern and flags, or undefined when they are supported. */
export function checkRegexLiteral(pattern: string, flags: unknown, forMatch: boolean): string | undefined {
  if (flags !== null && typeof flags !== "string") return undefined; // jq's own runtime error
  if (typeof flags === "string" && [...flags].some((flag) => !JQ_FLAGS.includes(flag))) return undefined;
  try {
    regexFor(pattern, flags, forMatch);
    return undefined;
  } catch (error) {
    if (error instanceof RegexUnsupported) return error.message;
    throw error;
  }
}

/** The modifier string's letters are valid for jq (checked by the caller); "g" and "i" are supported. */
function checkFlags(pattern: string, flags: string | null): { global: boolean; ignoreCase: boolean } {
  const result = { global: false, ignoreCase: false };
  if (flags === null) return result;
  for (const flag of flags) {
    if (flag === "g") result.global = true;
    else if (flag === "i") result.ignoreCase = true;
    else throw unsupportedFlag(pattern, flag);
  }
  return result;
}

function unsupportedFlag(pattern: string, flag: string): RegexUnsupported {
  {
    const why: Record<string, string> = {
      x: `extended syntax`,
      m: `"." matching newlines`,
      s: `single-line mode`,
      p: `single-line and "." matching newlines`,
      l: `longest match`,
      n: `ignoring empty matches`,
    };
    return new RegexUnsupported(`regex ${JSON.stringify(pattern)}: flag "${flag}" (${why[flag] ?? "unknown flag"}); only "g" and "i" are supported`);
  }
}

/** Under "i", Oniguruma matches "ß" with a literal "ss" (full case folding); these pairs begin such folds in ASCII. */
const FOLD_FIRST = new Set(["s", "f"]);
const FOLD_SECOND = new Set(["s", "t", "f", "i", "l"]);

interface Translation {
  source: string;
  names: (string | null)[];
}

/** What parsing a piece of pattern found out. */
interface Piece {
  source: string;
  /** It can match the empty string. */
  nullable: boolean;
  /** It contains a capture group. */
  captures: boolean;
  /** A capture group inside it (other than itself) could miss an iteration if it is repeated. */
  nestedCaptures?: boolean;
  anchor?: boolean;
  /** A single literal character (escaped or not), lowercased: what "i" checks for multi-character folds. */
  literal?: string;
  group?: boolean;
}

class Translator {
  private i = 0;
  private readonly names: (string | null)[] = [];
  private readonly chars: string[];

  constructor(private readonly pattern: string, private readonly forMatch: boolean, private readonly ignoreCase = false) {
    this.chars = [...pattern];
  }

  translate(): Translation {
    const body = this.alternation();
    if (this.i < this.chars.length) throw this.fail(`unbalanced ")"`);
    if (this.forMatch && body.nullable) {
      throw this.fail(
        `a pattern that can match the empty string, in match (jq 1.6 and 1.7 report empty matches differently); use test, or make it match at least one character`,
        false,
      );
    }
    return { source: body.source, names: this.names };
  }

  private fail(problem: string, withPosition = true): RegexUnsupported {
    const where = withPosition ? ` at offset ${this.i}` : "";
    return new RegexUnsupported(`regex ${JSON.stringify(this.pattern)}${where}: ${problem}`);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.i + offset];
  }

  private alternation(): Piece {
    const branches = [this.sequence()];
    while (this.peek() === "|") {
      this.i++;
      branches.push(this.sequence());
    }
    return {
      source: branches.map((b) => b.source).join("|"),
      nullable: branches.some((b) => b.nullable),
      captures: branches.some((b) => b.captures),
    };
  }

  private sequence(): Piece {
    let source = "";
    let nullable = true;
    let captures = false;
    let previous: Piece | undefined;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") break;
      const start = this.i;
      const atom = this.quantified(this.atom());
      if (this.ignoreCase && previous) this.checkFold(previous, atom, start);
      previous = atom;
      source += atom.source;
      nullable &&= atom.nullable;
      captures ||= atom.captures;
    }
    return { source, nullable, captures };
  }

  /**
   * Under "i", Oniguruma expands a run of literal characters by full case folding ("ss" also matches "ß",
   * "fi" matches "ﬁ"); JavaScript folds one character at a time. Refuse such runs, and runs that reach into a group.
   */
  private checkFold(previous: Piece, atom: Piece, start: number): void {
    const first = previous.literal !== undefined && FOLD_FIRST.has(previous.literal);
    const second = atom.literal !== undefined && FOLD_SECOND.has(atom.literal);
    if ((first && (second || atom.group)) || (previous.group && (second || atom.group))) {
      this.i = start;
      throw this.fail(
        `case-insensitive matching ("i") of adjacent characters that Oniguruma folds together (with "i", "ss" matches "ß" ` +
          `and "fi" matches "ﬁ" in jq, not in JavaScript): write one of them as a class, as in s[s]`,
      );
    }
  }

  /** Under "i", only ASCII: Unicode case folding differs between Oniguruma and JavaScript. */
  private checkAscii(c: string): void {
    if (this.ignoreCase && c.codePointAt(0)! > 0x7f) {
      throw this.fail(`case-insensitive matching ("i") of the non-ASCII character ${JSON.stringify(c)} (Unicode case folding differs between Oniguruma and JavaScript)`);
    }
  }

  /** An atom and the quantifier after it, if any. */
  private quantified(atom: Piece): Piece {
    const quantifier = this.quantifier();
    if (quantifier === undefined) return atom;
    const kept = { literal: atom.literal, group: atom.group };
    if (atom.anchor) throw this.fail(`a quantifier after an anchor`);
    if (atom.nullable) {
      throw this.fail(`a quantifier on something that can match the empty string (Oniguruma and JavaScript end such loops differently)`);
    }
    if (this.forMatch && atom.nestedCaptures) {
      throw this.fail(`a capture group inside a repeated group, in match (JavaScript forgets an earlier iteration's capture, Oniguruma keeps it)`);
    }
    const next = this.peek();
    if (next === "+") throw this.fail(`a possessive quantifier`);
    if (next === "*" || next === "?" || next === "{") {
      if (next === "?") {
        this.i++;
        if (this.quantifierStart()) throw this.fail(`stacked quantifiers`);
        return { source: atom.source + quantifier.source + "?", nullable: quantifier.min === 0, captures: atom.captures, ...kept };
      }
      if (next !== "{" || this.intervalAhead()) throw this.fail(`stacked quantifiers`);
    }
    return { source: atom.source + quantifier.source, nullable: quantifier.min === 0, captures: atom.captures, ...kept };
  }

  private quantifierStart(): boolean {
    const c = this.peek();
    return c === "*" || c === "+" || c === "?" || (c === "{" && this.intervalAhead());
  }

  /** `{n}`, `{n,}` or `{n,m}` at the current position. */
  private intervalAhead(): boolean {
    return /^\{\d+(,\d*)?\}/.test(this.chars.slice(this.i, this.i + 12).join(""));
  }

  private quantifier(): { source: string; min: number } | undefined {
    const c = this.peek();
    if (c === "*" || c === "+" || c === "?") {
      this.i++;
      return { source: c, min: c === "+" ? 1 : 0 };
    }
    if (c !== "{") return undefined;
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.chars.slice(this.i, this.i + 24).join(""));
    if (!match) throw this.fail(`"{" that is not a quantifier {n}, {n,} or {n,m} (escape it as \\{)`);
    const min = Number(match[1]);
    const max = match[3] === undefined ? (match[2] ? Infinity : min) : match[3] === "" ? Infinity : Number(match[3]);
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw this.fail(`a repeat count over ${MAX_REPEAT}`);
    if (max < min) throw this.fail(`a quantifier {${min},${max}} whose maximum is below its minimum`);
    this.i += match[0].length;
    return { source: match[0], min };
  }

  private atom(): Piece {
    const c = this.peek()!;
    switch (c) {
      case "(":
        return this.group();
      case "[":
        return this.characterClass();
      case ".":
        this.i++;
        return { source: "[^\\n]", nullable: false, captures: false };
      case "^":
        this.i++;
        return { source: "^", nullable: true, captures: false, anchor: true };
      case "$":
        this.i++;
        return { source: "(?=\\n?$)", nullable: true, captures: false, anchor: true };
      case "\\": {
        const literal = this.escape(false);
        return { source: codepoint(literal), nullable: false, captures: false, literal: literal.toLowerCase() };
      }
      case "*": case "+": case "?":
        throw this.fail(`a quantifier "${c}" with nothing to repeat`);
      case "{":
        if (this.intervalAhead()) throw this.fail(`a quantifier "{" with nothing to repeat`);
        throw this.fail(`"{" (escape it as \\{)`);
      case "}": case "]":
        throw this.fail(`"${c}" (escape it as \\${c})`);
      default:
        this.checkAscii(c);
        this.i++;
        return { source: codepoint(c), nullable: false, captures: false, literal: c.toLowerCase() };
    }
  }

  private group(): Piece {
    this.i++;
    let capture = true;
    let name: string | null = null;
    if (this.peek() === "?") {
      const rest = this.chars.slice(this.i, this.i + 40).join("");
      const named = /^\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (rest.startsWith("?:")) {
        capture = false;
        this.i += 2;
      } else if (named) {
        name = named[1]!;
        if (this.names.includes(name)) throw this.fail(`the group name "${name}" used twice`);
        this.i += named[0].length;
      } else {
        const kind = rest.startsWith("?=") || rest.startsWith("?!") ? "lookahead"
          : rest.startsWith("?<=") || rest.startsWith("?<!") ? "lookbehind"
          : rest.startsWith("?<") || rest.startsWith("?P") || rest.startsWith("?'") ? "a group name other than [A-Za-z_][A-Za-z0-9_]*"
          : rest.startsWith("?>") ? "an atomic group"
          : rest.startsWith("?#") ? "a comment group"
          : "inline options";
        throw this.fail(`"(${rest.slice(0, 3)}" (${kind})`);
      }
    }
    if (capture) this.names.push(name);
    const inner = this.alternation();
    if (this.peek() !== ")") throw this.fail(`unclosed "("`);
    this.i++;
    return {
      source: capture ? `(${inner.source})` : `(?:${inner.source})`,
      nullable: inner.nullable,
      captures: capture || inner.captures,
      nestedCaptures: inner.captures,
      group: true,
    };
  }

  /** `[...]` / `[^...]`: single characters and ranges; nested classes, POSIX brackets and `&&` are rejected. */
  private characterClass(): Piece {
    this.i++;
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.i++;
    }
    if (this.peek() === "]") throw this.fail(`"]" first in a character class (escape it as \\])`);
    const members: string[] = [];
    const member = (): number => {
      const c = this.peek();
      if (c === undefined) throw this.fail(`unclosed "["`);
      if (c === "[") throw this.fail(`"[" inside a character class (nested classes and POSIX brackets differ; escape it as \\[)`);
      if (c === "&" && this.peek(1) === "&") throw this.fail(`"&&" in a character class (class intersection)`);
      if (c === "\\") return this.escape(true).codePointAt(0)!;
      this.checkAscii(c);
      this.i++;
      return c.codePointAt(0)!;
    };
    for (let first = true; ; first = false) {
      const c = this.peek();
      if (c === "]") break;
      if (c === "-") {
        if (!first && this.peek(1) !== "]") throw this.fail(`an ambiguous "-" in a character class (escape it as \\-)`);
        this.i++;
        members.push(codepoint("-"));
        continue;
      }
      const low = member();
      if (this.peek() === "-" && this.peek(1) !== "]") {
        this.i++;
        if (this.peek() === "-" || this.peek() === "[") throw this.fail(`an ambiguous "-" in a character class (escape it as \\-)`);
        const high = member();
        if (high < low) throw this.fail(`a character range whose end is before its start`);
        members.push(`${codepoint(String.fromCodePoint(low))}-${codepoint(String.fromCodePoint(high))}`);
        continue;
      }
      members.push(codepoint(String.fromCodePoint(low)));
    }
    this.i++;
    return { source: `[${negated ? "^" : ""}${members.join("")}]`, nullable: false, captures: false };
  }

  /** `\x`: the character it stands for, or a rejection naming the escape. */
  private escape(inClass: boolean): string {
    const c = this.peek(1);
    if (c === undefined) throw this.fail(`"\\" at the end of the pattern`);
    this.i += 2;
    if (LITERAL_ESCAPES.has(c)) return c;
    const control = CONTROL_ESCAPES[c];
    if (control !== undefined) return control;
    this.i -= 2;
    const classes: Record<string, string> = {
      d: `\\d (Oniguruma's \\d matches every Unicode decimal digit, such as "٣"; JavaScript's only 0-9): write [0-9]`,
      D: `\\D (Unicode digits in Oniguruma, ASCII in JavaScript): write [^0-9]`,
      w: `\\w (Unicode word characters in Oniguruma, ASCII in JavaScript): write [A-Za-z0-9_]`,
      W: `\\W (Unicode in Oniguruma, ASCII in JavaScript): write [^A-Za-z0-9_]`,
      s: `\\s (Oniguruma and JavaScript disagree on Unicode spaces such as U+0085 and U+FEFF): write [ \\t\\n\\r]`,
      S: `\\S (Oniguruma and JavaScript disagree on Unicode spaces): write [^ \\t\\n\\r]`,
      b: inClass ? `\\b in a character class` : `\\b (word boundaries follow \\w, which differs)`,
      B: `\\B (word boundaries follow \\w, which differs)`,
    };
    const why = classes[c] ??
      (/[0-9]/.test(c) ? `a backreference or octal escape "\\${c}"`
        : /[A-Za-z]/.test(c) ? `the escape "\\${c}"`
        : `the escape "\\${c}" (escape only ASCII punctuation)`);
    throw this.fail(why);
  }
}

/** `test`: whether the pattern matches anywhere in `input`. */
export function regexTest(regex: JqRegex, input: string): boolean {
  regex.regexp.lastIndex = 0;
  return regex.regexp.test(input);
}

/**
 * `match`: jq 1.6's match objects (offsets and lengths in codepoints, keys in jq's order), the first
 * match or, with "g", every match left to right. Patterns here never match the empty string.
 */
export function regexMatches(regex: JqRegex, input: string): Array<Record<string, unknown>> {
  const results: Array<Record<string, unknown>> = [];
  const re = regex.regexp;
  let from = 0;
  do {
    re.lastIndex = from;
    const found = re.exec(input);
    if (!found) break;
    const indices = found.indices!;
    const captures: Array<Record<string, unknown>> = [];
    for (let group = 1; group < found.length; group++) {
      const name = regex.names[group - 1] ?? null;
      const text = found[group];
      const span = indices[group];
      if (text === undefined || span === undefined) {
        captures.push({ offset: -1, string: null, length: 0, name });
      } else if (text === "") {
        captures.push({ offset: codepointCount(input, 0, span[0]), string: "", length: 0, name });
      } else {
        captures.push({ offset: codepointCount(input, 0, span[0]), length: codepointCount(text, 0, text.length), string: text, name });
      }
    }
    results.push({
      offset: codepointCount(input, 0, found.index),
      length: codepointCount(found[0], 0, found[0].length),
      string: found[0],
      captures,
    });
    from = found.index + found[0].length;
  } while (regex.global && from < input.length);
  return results;
}

/** Codepoints in `text` between two UTF-16 offsets. */
function codepointCount(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}

/** A character as an unambiguous JavaScript `u`-mode pattern element. */
function codepoint(c: string): string {
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}
