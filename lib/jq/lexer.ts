/**
 * Splits a jq program into tokens the way jq's flex lexer does (longest match,
 * keywords only when the whole word matches), so that the parser sees the same
 * token boundaries jq would.
 *
 * Where jq versions lex differently (jq 1.6 reads `.e1` and `1.5.a` as number
 * literals, jq 1.7 does not; jq 1.8 accepts `\r` as whitespace and changed
 * comments) the lexer rejects instead of picking one reading.
 */
import { syntaxError, unsupported } from "./reject.ts";

/** Operators and punctuation the subset understands. */
export type Punctuation =
  | "." | "|" | "," | "(" | ")" | "[" | "]" | "?" | "-"
  | "==" | "!=" | "<" | "<=" | ">" | ">="
  | "{" | "}" | ":" | ";" | "//";

export type Token =
  | { readonly kind: "punct"; readonly text: Punctuation; readonly start: number }
  /** `.name`: jq's FIELD token (no space between the dot and the name). */
  | { readonly kind: "field"; readonly name: string; readonly start: number }
  | { readonly kind: "number"; readonly value: number; readonly text: string; readonly start: number }
  | { readonly kind: "string"; readonly value: string; readonly start: number }
  /** `$name` (no space after the `$`); `$__loc__` has the name "__loc__". */
  | { readonly kind: "variable"; readonly name: string; readonly start: number }
  /** A bare word: `select`, `not`, `true`, ... or any other (unsupported) function name. */
  | { readonly kind: "ident"; readonly name: string; readonly start: number }
  /** `and`, `or`, and jq's other reserved words (`if`, `reduce`, ...). */
  | { readonly kind: "keyword"; readonly name: string; readonly start: number }
  | { readonly kind: "end"; readonly start: number };

/** jq's reserved words (jq 1.6 also reserves `__loc__`). */
const KEYWORDS = new Set([
  "as", "import", "include", "module", "def", "if", "then", "else", "elif",
  "and", "or", "end", "reduce", "foreach", "try", "catch", "label", "break", "__loc__",
]);

/**
 * Every operator/punctuation token of jq, longest first (flex takes the longest
 * match): either a token of the subset, or the name of the construct it belongs to.
 */
const OPERATORS: ReadonlyArray<readonly [string, Punctuation | { readonly unsupported: string }]> = [
  ["?//", { unsupported: `destructuring alternative operator "?//"` }],
  ["//=", { unsupported: `update-assignment operator "//="` }],
  ["==", "=="],
  ["!=", "!="],
  ["<=", "<="],
  [">=", ">="],
  ["|=", { unsupported: `update-assignment operator "|="` }],
  ["+=", { unsupported: `update-assignment operator "+="` }],
  ["-=", { unsupported: `update-assignment operator "-="` }],
  ["*=", { unsupported: `update-assignment operator "*="` }],
  ["/=", { unsupported: `update-assignment operator "/="` }],
  ["%=", { unsupported: `update-assignment operator "%="` }],
  ["//", "//"],
  ["..", { unsupported: `recursive descent ".."` }],
  ["|", "|"],
  [",", ","],
  ["(", "("],
  [")", ")"],
  ["[", "["],
  ["]", "]"],
  ["?", "?"],
  ["-", "-"],
  ["<", "<"],
  [">", ">"],
  [".", "."],
  ["+", { unsupported: `arithmetic operator "+"` }],
  ["*", { unsupported: `arithmetic operator "*"` }],
  ["/", { unsupported: `arithmetic operator "/"` }],
  ["%", { unsupported: `arithmetic operator "%"` }],
  ["=", { unsupported: `assignment operator "="` }],
  [";", ";"],
  [":", ":"],
  ["{", "{"],
  ["}", "}"],
];

const STRING_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t",
};

/** Doubles represent every decimal of up to 15 significant digits distinctly and in order. */
const MAX_SIGNIFICANT_DIGITS = 15;
const MIN_NORMAL_DOUBLE = 2.2250738585072014e-308;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isWordStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_");
const isWordChar = (c: string | undefined): boolean => isWordStart(c) || isDigit(c);
const isHexDigit = (c: string): boolean => /^[0-9a-fA-F]$/.test(c);

/** Sticky patterns, matched at a given offset without slicing the source. */
const WORD = /(?:[a-zA-Z_][a-zA-Z_0-9]*::)*[a-zA-Z_][a-zA-Z_0-9]*/y;
const VARIABLE = /\$((?:[a-zA-Z_][a-zA-Z_0-9]*::)*[a-zA-Z_][a-zA-Z_0-9]*)/y;
const FORMAT = /@[a-zA-Z0-9_]+/y;
const NUMBER = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/y;
const UNICODE_ESCAPE_DIGITS = /[a-zA-Z0-9]{0,4}/y;

function matchAt(pattern: RegExp, source: string, offset: number): RegExpExecArray | null {
  pattern.lastIndex = offset;
  return pattern.exec(source);
}

/** Pull-based lexer: the parser asks for one token at a time, so errors surface in reading order. */
export class Lexer {
  private offset = 0;

  constructor(private readonly source: string) {}

  next(): Token {
    this.skipWhitespace();
    const source = this.source;
    const start = this.offset;
    const c = source[start];
    if (c === undefined) return { kind: "end", start };

    if (c === '"') return this.readString(start);
    if (c === "#") throw unsupported(source, start, "comments");
    if (c === "$") return this.readVariable(start);
    if (c === "@") {
      const name = matchAt(FORMAT, source, start)?.[0];
      if (name !== undefined) throw unsupported(source, start, `format string "${name}"`);
      throw syntaxError(source, start, `unexpected character "@"`);
    }
    if (c === ".") {
      const after = source[start + 1];
      if (isDigit(after)) return this.readNumber(start);
      if (isWordStart(after)) return this.readField(start);
    }
    if (isDigit(c)) return this.readNumber(start);
    if (isWordStart(c)) return this.readWord(start);

    for (const [text, meaning] of OPERATORS) {
      if (!source.startsWith(text, start)) continue;
      if (typeof meaning !== "string") throw unsupported(source, start, meaning.unsupported);
      this.offset = start + text.length;
      return { kind: "punct", text: meaning, start };
    }
    const character = String.fromCodePoint(source.codePointAt(start) ?? 0);
    throw syntaxError(source, start, `unexpected character ${JSON.stringify(character)}`);
  }

  /** jq 1.6 and 1.7 skip exactly space, tab and newline; anything else (\r, \f, NBSP...) is an error there. */
  private skipWhitespace(): void {
    const source = this.source;
    let i = this.offset;
    for (;;) {
      const c = source[i];
      if (c === " " || c === "\t" || c === "\n") i++;
      else break;
    }
    this.offset = i;
  }

  /**
   * `$name`. jq 1.6 lexes `$` and the name apart (so `$ x` and `$__loc__` work there), jq 1.7 as one
   * token (so `$ x` does not, and keywords become names): only the spelling both read alike is accepted.
   */
  private readVariable(start: number): Token {
    const source = this.source;
    const name = matchAt(VARIABLE, source, start)?.[1];
    if (name === undefined) {
      if (/^[ \t\n]/.test(source.slice(start + 1))) {
        throw unsupported(source, start, `a space after "$" (jq 1.6 reads "$ x" as $x, jq 1.7 rejects it)`);
      }
      throw syntaxError(source, start, `"$" must be followed by a variable name, as in $x`);
    }
    if (name.includes("::")) throw unsupported(source, start, `module variable "$${name}"`);
    if (name === "ENV") throw unsupported(source, start, `"$ENV" (the environment)`);
    if (name === "__prog_args" || name.startsWith("__")) {
      if (name !== "__loc__") throw unsupported(source, start, `variable "$${name}"`);
    }
    if (KEYWORDS.has(name) && name !== "__loc__") {
      throw syntaxError(source, start, `keyword "${name}" cannot be a variable name in jq 1.6`);
    }
    this.offset = start + 1 + name.length;
    return { kind: "variable", name, start };
  }

  /** `.name` (jq's FIELD token). */
  private readField(start: number): Token {
    const source = this.source;
    let end = start + 2;
    while (isWordChar(source[end])) end++;
    const text = source.slice(start, end);
    if (/^\.[eE][0-9]+$/.test(text)) {
      throw unsupported(
        source, start,
        `field "${text}" (jq 1.6 reads it as a number literal; write .["${text.slice(1)}"])`,
      );
    }
    this.offset = end;
    return { kind: "field", name: text.slice(1), start };
  }

  /** A word: keyword, `true`/`false`/`null`, or a function name. */
  private readWord(start: number): Token {
    const source = this.source;
    const word = matchAt(WORD, source, start)?.[0] ?? "";
    if (word.includes("::")) throw unsupported(source, start, `module reference "${word}"`);
    this.offset = start + word.length;
    if (KEYWORDS.has(word)) return { kind: "keyword", name: word, start };
    return { kind: "ident", name: word, start };
  }

  /**
   * jq 1.7's number pattern `([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?`.
   * Literals that jq versions read differently are rejected: a number followed
   * directly by "." (jq 1.6 takes `[0-9.]+`), more than 15 significant digits
   * (jq 1.7 compares literals as decimals), and values outside the normal double range.
   */
  private readNumber(start: number): Token {
    const source = this.source;
    const match = matchAt(NUMBER, source, start);
    const text = match?.[0] ?? "";
    const hasExponent = match?.[1] !== undefined;
    const end = start + text.length;
    if (!hasExponent && source[end] === ".") {
      throw unsupported(
        source, end,
        `"." directly after the number ${text} (jq versions disagree on where such a literal ends)`,
      );
    }
    const mantissa = text.replace(/[eE].*$/, "").replace(".", "");
    const significant = mantissa.replace(/^0+/, "").replace(/0+$/, "");
    if (significant.length > MAX_SIGNIFICANT_DIGITS) {
      throw unsupported(
        source, start,
        `number literal ${text} with more than ${MAX_SIGNIFICANT_DIGITS} significant digits ` +
          `(jq 1.7 compares it in decimal, not as a double)`,
      );
    }
    const value = Number(text);
    if (!Number.isFinite(value) || (significant.length > 0 && Math.abs(value) < MIN_NORMAL_DOUBLE)) {
      throw unsupported(source, start, `number literal ${text} outside the range of normal doubles`);
    }
    this.offset = end;
    return { kind: "number", value, text, start };
  }

  /** A string literal: JSON escapes, raw characters (even newlines) allowed, `\(` interpolation rejected. */
  private readString(start: number): Token {
    const source = this.source;
    let i = start + 1;
    let value = "";
    /** A high surrogate from a `\u` escape, waiting for the low half that must follow at once. */
    let pendingHigh = -1;
    for (;;) {
      const c = source[i];
      if (c === undefined) throw syntaxError(source, start, "unterminated string literal");
      if (c !== "\\") {
        if (pendingHigh >= 0) throw this.badSurrogate(i);
        if (c === '"') {
          this.offset = i + 1;
          return { kind: "string", value, start };
        }
        const code = c.charCodeAt(0);
        if (code >= 0xd800 && code <= 0xdfff) {
          const low = source.charCodeAt(i + 1);
          if (code > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) {
            throw syntaxError(source, i, "lone UTF-16 surrogate in the program text");
          }
          value += source.slice(i, i + 2);
          i += 2;
          continue;
        }
        value += c;
        i++;
        continue;
      }
      const escape = source[i + 1];
      if (escape === "(") throw unsupported(source, i, `string interpolation "\\(...)"`);
      if (escape === undefined) throw syntaxError(source, start, "unterminated string literal");
      if (escape !== "u") {
        if (pendingHigh >= 0) throw this.badSurrogate(i);
        const decoded = STRING_ESCAPES[escape];
        if (decoded === undefined) throw syntaxError(source, i, `invalid escape "\\${escape}" in string literal`);
        value += decoded;
        i += 2;
        continue;
      }
      const hex = matchAt(UNICODE_ESCAPE_DIGITS, source, i + 2)?.[0] ?? "";
      if (hex.length !== 4 || ![...hex].every(isHexDigit)) {
        throw syntaxError(source, i, `invalid escape "\\u${hex}" in string literal`);
      }
      const unit = parseInt(hex, 16);
      i += 6;
      if (pendingHigh >= 0) {
        if (unit < 0xdc00 || unit > 0xdfff) throw this.badSurrogate(i - 6);
        value += String.fromCharCode(pendingHigh, unit);
        pendingHigh = -1;
      } else if (unit >= 0xd800 && unit <= 0xdbff) {
        pendingHigh = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        value += "\ufffd"; // jq's JSON parser replaces a lone low surrogate
      } else {
        value += String.fromCharCode(unit);
      }
    }
  }

  private badSurrogate(offset: number) {
    return syntaxError(this.source, offset, "invalid \\uXXXX\\uXXXX surrogate pair escape in string literal");
  }
}

/** How a token is quoted in error messages. */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case "end": return "end of program";
    case "punct": return `"${token.text}"`;
    case "field": return `field ".${token.name}"`;
    case "number": return `number ${token.text}`;
    case "string": return `string ${JSON.stringify(token.value)}`;
    case "ident": return `"${token.name}"`;
    case "keyword": return `keyword "${token.name}"`;
    case "variable": return `variable "$${token.name}"`;
  }
}
