/**
 * Parser for trailpost's jq subset. It follows jq's grammar and operator
 * precedence exactly (lowest first: `|` right-associative, `,`, `or`, `and`,
 * the non-associative comparisons, unary `-`, then postfix `.a` `[..]` `?`)
 * and rejects — never reinterprets — everything outside the subset.
 */
import type { ComparisonOperator, Node, Program } from "./ast.ts";
import { describeToken, Lexer, type Token } from "./lexer.ts";
import { syntaxError, unsupported } from "./reject.ts";

const COMPARISONS: ReadonlySet<string> = new Set(["==", "!=", "<", "<=", ">", ">="]);

/** Largest magnitude jq treats as an integer array index; anything beyond reads as out of range. */
const INT_MAX = 2147483647;

/**
 * Parses `source` as a jq program in trailpost's subset.
 * @throws JqSyntaxError naming the offending token and its column, either
 *   because jq would not compile the program or because it is outside the subset.
 */
export function parseProgram(source: string): Program {
  const parser = new Parser(source);
  const body = deepFreeze(parser.parseProgramBody());
  return Object.freeze({ source, body });
}

/** Programs are immutable once parsed (evaluate caches their compiled form). */
function deepFreeze(node: Node): Node {
  for (const value of Object.values(node)) {
    if (value !== null && typeof value === "object") deepFreeze(value as Node);
  }
  return Object.freeze(node);
}

class Parser {
  private readonly lexer: Lexer;
  private token: Token;

  constructor(private readonly source: string) {
    this.lexer = new Lexer(source);
    this.token = this.lexer.next();
  }

  parseProgramBody(): Node {
    if (this.token.kind === "end") {
      throw unsupported(this.source, 0, `an empty program (jq 1.6 reads it as ".", jq 1.7 rejects it)`);
    }
    const body = this.parsePipe();
    if (!this.atEnd()) throw this.unexpected();
    return body;
  }

  private advance(): Token {
    const current = this.token;
    this.token = this.lexer.next();
    return current;
  }

  private isPunct(text: string): boolean {
    return this.token.kind === "punct" && this.token.text === text;
  }

  private atEnd(): boolean {
    return this.token.kind === "end";
  }

  private isKeyword(name: string): boolean {
    return this.token.kind === "keyword" && this.token.name === name;
  }

  /** `A | B`, right-associative, lowest precedence. */
  private parsePipe(): Node {
    const left = this.parseComma();
    if (!this.isPunct("|")) return left;
    this.advance();
    return { type: "pipe", left, right: this.parsePipe() };
  }

  /** `A, B`, left-associative. */
  private parseComma(): Node {
    let left = this.parseOr();
    while (this.isPunct(",")) {
      this.advance();
      left = { type: "comma", left, right: this.parseOr() };
    }
    return left;
  }

  /** `A or B`, left-associative. */
  private parseOr(): Node {
    let left = this.parseAnd();
    while (this.isKeyword("or")) {
      this.advance();
      left = { type: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  /** `A and B`, left-associative. */
  private parseAnd(): Node {
    let left = this.parseComparison();
    while (this.isKeyword("and")) {
      this.advance();
      left = { type: "and", left, right: this.parseComparison() };
    }
    return left;
  }

  /** `A == B` etc. Non-associative, as in jq: `1 == 1 == 1` does not compile. */
  private parseComparison(): Node {
    const left = this.parseUnary();
    const token = this.token;
    if (token.kind !== "punct" || !COMPARISONS.has(token.text)) return left;
    this.advance();
    const right = this.parseUnary();
    const next = this.token;
    if (next.kind === "punct" && COMPARISONS.has(next.text)) {
      throw syntaxError(
        this.source, next.start,
        `unexpected "${next.text}": comparison operators do not chain in jq (use parentheses)`,
      );
    }
    return { type: "compare", operator: token.text as ComparisonOperator, left, right };
  }

  /** Unary minus, `-T`; a negated number literal folds into a literal. */
  private parseUnary(): Node {
    if (!this.isPunct("-")) {
      const term = this.parsePostfix();
      if (this.isPunct("-")) throw unsupported(this.source, this.token.start, `arithmetic operator "-"`);
      return term;
    }
    this.advance();
    const operand = this.parseUnary();
    if (operand.type === "literal" && typeof operand.value === "number") {
      return { type: "literal", value: -operand.value };
    }
    return { type: "negate", operand };
  }

  /** A primary term followed by any number of `.a`, `."a"`, `[...]` steps, each optionally with `?`. */
  private parsePostfix(): Node {
    let term = this.parsePrimary();
    for (;;) {
      const token = this.token;
      if (token.kind === "field") {
        this.advance();
        term = this.finishStep({ type: "index", target: term, key: token.name, optional: false });
      } else if (token.kind === "punct" && token.text === ".") {
        this.advance();
        const key = this.token;
        if (key.kind === "string") {
          this.advance();
          term = this.finishStep({ type: "index", target: term, key: key.value, optional: false });
        } else if (key.kind === "punct" && key.text === "[") {
          throw unsupported(this.source, token.start, `".[" after a term (only jq 1.7+ accepts it; write .a[0] or .a[])`);
        } else {
          throw syntaxError(this.source, key.start, `unexpected ${describeToken(key)} after "."; expected a string, as in ."name"`);
        }
      } else if (token.kind === "punct" && token.text === "[") {
        term = this.finishStep(this.parseBracketStep(term));
      } else if (token.kind === "punct" && token.text === "?") {
        throw unsupported(
          this.source, token.start,
          `"?" here (only .a?, ."a"?, .[...]? and .[]? are supported: the general try semantics differ between jq versions)`,
        );
      } else {
        return term;
      }
    }
  }

  /** Applies a trailing `?` to the index or iterate step just parsed. */
  private finishStep(step: Node & { type: "index" | "iterate" }): Node {
    if (!this.isPunct("?")) return step;
    this.advance();
    return { ...step, optional: true };
  }

  /** `T[]`, `T["a"]`, `T[0]`, `T[-1]`: only literal keys are supported. */
  private parseBracketStep(target: Node): Node & { type: "index" | "iterate" } {
    const open = this.advance();
    if (this.isPunct("]")) {
      this.advance();
      return { type: "iterate", target, optional: false };
    }
    let negative = false;
    let keyToken = this.token;
    if (keyToken.kind === "punct" && keyToken.text === "-") {
      negative = true;
      this.advance();
      keyToken = this.token;
    }
    if (keyToken.kind === "string" && !negative) {
      this.advance();
      this.expectClosingBracket(open);
      return { type: "index", target, key: keyToken.value, optional: false };
    }
    if (keyToken.kind === "number") {
      this.advance();
      this.expectClosingBracket(open);
      const key = negative ? -keyToken.value : keyToken.value;
      if (!Number.isInteger(key)) {
        throw unsupported(
          this.source, keyToken.start,
          `non-integer index ${negative ? "-" : ""}${keyToken.text} (jq 1.6 yields null, jq 1.7 truncates it)`,
        );
      }
      return { type: "index", target, key: clampIndex(key), optional: false };
    }
    throw unsupported(
      this.source, open.start,
      `index expressions other than a literal string or integer, as in .["a"] or .[-1]`,
    );
  }

  private expectClosingBracket(open: Token): void {
    if (this.isPunct("]")) {
      this.advance();
      return;
    }
    if (this.atEnd()) throw syntaxError(this.source, open.start, `unclosed "["`);
    throw unsupported(
      this.source, open.start,
      `index expressions other than a literal string or integer, as in .["a"] or .[-1]`,
    );
  }

  private parsePrimary(): Node {
    const token = this.token;
    switch (token.kind) {
      case "field":
        this.advance();
        return this.finishStep({ type: "index", target: { type: "identity" }, key: token.name, optional: false });
      case "number":
        this.advance();
        return { type: "literal", value: token.value };
      case "string":
        this.advance();
        return { type: "literal", value: token.value };
      case "ident":
        return this.parseNamedTerm(token);
      case "keyword":
        if (token.name === "and" || token.name === "or") throw this.unexpected();
        throw unsupported(this.source, token.start, `keyword "${token.name}"`);
      case "end":
        throw this.unexpected();
      case "punct":
        break;
    }
    switch (token.text) {
      case ".": {
        this.advance();
        const next = this.token;
        if (next.kind !== "string") return { type: "identity" };
        this.advance();
        return this.finishStep({ type: "index", target: { type: "identity" }, key: next.value, optional: false });
      }
      case "(": {
        this.advance();
        if (this.isPunct(")")) throw this.unexpected();
        const inner = this.parsePipe();
        if (!this.isPunct(")")) {
          if (this.atEnd()) throw syntaxError(this.source, token.start, `unclosed "("`);
          throw this.unexpected();
        }
        this.advance();
        return inner;
      }
      case "[":
        throw unsupported(this.source, token.start, `array construction "[...]"`);
      default:
        throw this.unexpected();
    }
  }

  /** `true`, `false`, `null`, `not`, `empty`, `select(f)`; any other name is an unsupported function. */
  private parseNamedTerm(token: Token & { kind: "ident" }): Node {
    this.advance();
    const name = token.name;
    const hasArguments = this.isPunct("(");
    if (!hasArguments) {
      switch (name) {
        case "true": return { type: "literal", value: true };
        case "false": return { type: "literal", value: false };
        case "null": return { type: "literal", value: null };
        case "not": return { type: "not" };
        case "empty": return { type: "empty" };
        case "select": throw syntaxError(this.source, token.start, `select/0 is not defined (use select(condition))`);
      }
      throw unsupported(this.source, token.start, `function "${name}"`);
    }
    if (name !== "select") {
      throw unsupported(this.source, token.start, `function "${name}" with arguments`);
    }
    const open = this.advance();
    if (this.isPunct(")")) throw this.unexpected();
    const condition = this.parsePipe();
    if (!this.isPunct(")")) {
      if (this.atEnd()) throw syntaxError(this.source, open.start, `unclosed "(" of select(...)`);
      throw this.unexpected();
    }
    this.advance();
    return { type: "select", condition };
  }

  /** The current token cannot appear here; phrase it as jq would see it. */
  private unexpected() {
    const token = this.token;
    if (token.kind === "keyword" && token.name !== "and" && token.name !== "or") {
      return unsupported(this.source, token.start, `keyword "${token.name}"`);
    }
    return syntaxError(this.source, token.start, `unexpected ${describeToken(token)}`);
  }
}

/** Beyond ±INT_MAX every jq version answers "out of range" (null); keep the key in a safe range. */
function clampIndex(index: number): number {
  if (index > INT_MAX) return INT_MAX;
  if (index < -INT_MAX - 1) return -INT_MAX - 1;
  return index;
}
