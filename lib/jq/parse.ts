/**
 * Parser for trailpost's jq subset. It follows jq 1.6's grammar (src/parser.y) and operator precedence
 * exactly (lowest first: `|` right-associative, `,`, `//` right-associative, `or`, `and`, the
 * non-associative comparisons, unary `-`, then postfix `.a` `[..]` `?`; `T as $x | body` takes the
 * rest of the expression as its body) and rejects — never reinterprets — everything outside the subset,
 * and every construct that jq 1.6 and later versions read differently.
 *
 *   parseProgram(`.Records[] | {eventName, user: .userIdentity.arn}`)
 */
import type { BuiltinName, ComparisonOperator, Node, ObjectEntry, Program } from "./ast.ts";
import { describeToken, Lexer, type Token } from "./lexer.ts";
import { checkRegexLiteral } from "./regex.ts";
import { syntaxError, unsupported } from "./reject.ts";
import { dumpTruncated } from "./dump.ts";
import { kindName } from "./order.ts";

const COMPARISONS: ReadonlySet<string> = new Set(["==", "!=", "<", "<=", ">", ">="]);

/** Largest magnitude jq treats as an integer array index; anything beyond reads as out of range. */
const INT_MAX = 2147483647;

/** The builtins the subset implements, with the arities jq 1.6 defines for them. */
const BUILTINS: Readonly<Record<BuiltinName, readonly number[]>> = {
  length: [0], keys: [0], has: [1], in: [1], contains: [1], startswith: [1], endswith: [1],
  ascii_downcase: [0], ascii_upcase: [0], tostring: [0], tonumber: [0], type: [0],
  IN: [1, 2], any: [0, 1, 2], all: [0, 1, 2], map: [1], test: [1, 2], match: [1, 2],
};

const isBuiltin = (name: string): name is BuiltinName => Object.hasOwn(BUILTINS, name);

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
  /** Variables in scope, innermost last. */
  private readonly scope: string[] = [];

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
    const at = this.advance().start;
    return { type: "pipe", left, right: this.parsePipe(), at };
  }

  /** `A, B`, left-associative. */
  private parseComma(): Node {
    let left = this.parseAlternative(true);
    while (this.isPunct(",")) {
      const at = this.advance().start;
      left = { type: "comma", left, right: this.parseAlternative(true), at };
    }
    return left;
  }

  /**
   * `A // B`, right-associative. `first` says whether this operand starts a `,`/`|` operand: only there may
   * its leftmost term be `T as $x | ...`, which jq 1.6/1.7 and jq 1.8 group differently after an operator
   * (`1 + 2 as $x | f` binds 2 in 1.6, 3 in 1.8).
   */
  private parseAlternative(first: boolean): Node {
    const left = this.parseOr(first);
    if (!this.isPunct("//")) return left;
    const at = this.advance().start;
    return { type: "alternative", left, right: this.parseAlternative(false), at };
  }

  /** `A or B`, left-associative. */
  private parseOr(first: boolean): Node {
    let left = this.parseAnd(first);
    while (this.isKeyword("or")) {
      const at = this.advance().start;
      left = { type: "or", left, right: this.parseAnd(false), at };
    }
    return left;
  }

  /** `A and B`, left-associative. */
  private parseAnd(first: boolean): Node {
    let left = this.parseComparison(first);
    while (this.isKeyword("and")) {
      const at = this.advance().start;
      left = { type: "and", left, right: this.parseComparison(false), at };
    }
    return left;
  }

  /** `A == B` etc. Non-associative, as in jq: `1 == 1 == 1` does not compile. */
  private parseComparison(first: boolean): Node {
    const left = this.parseUnary(first);
    const token = this.token;
    if (token.kind !== "punct" || !COMPARISONS.has(token.text)) return left;
    this.advance();
    const right = this.parseUnary(false);
    const next = this.token;
    if (next.kind === "punct" && COMPARISONS.has(next.text)) {
      throw syntaxError(
        this.source, next.start,
        `unexpected "${next.text}": comparison operators do not chain in jq (use parentheses)`,
      );
    }
    return { type: "compare", operator: token.text as ComparisonOperator, left, right, at: token.start };
  }

  /** Unary minus, `-T`; a negated number literal folds into a literal. */
  private parseUnary(first: boolean): Node {
    if (!this.isPunct("-")) {
      const term = this.parsePostfix(first ? "yes" : "after an operator");
      if (this.isPunct("-")) throw unsupported(this.source, this.token.start, `arithmetic operator "-"`);
      return term;
    }
    const at = this.advance().start;
    return negated(this.parseUnary(false), at);
  }

  /**
   * A primary term followed by any number of `.a`, `."a"`, `[...]` steps, each optionally with `?`;
   * then, where jq's grammar allows it (`allowBinding`), `as $name | body`.
   */
  private parsePostfix(binding: "yes" | "after an operator" | "in an object value"): Node {
    let term = this.parsePrimary();
    for (;;) {
      const token = this.token;
      if (token.kind === "field") {
        this.advance();
        term = this.finishStep({ type: "index", target: term, key: token.name, optional: false, at: token.start });
      } else if (token.kind === "punct" && token.text === ".") {
        this.advance();
        const key = this.token;
        if (key.kind === "string") {
          this.advance();
          term = this.finishStep({ type: "index", target: term, key: key.value, optional: false, at: token.start });
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
      } else if (token.kind === "keyword" && token.name === "as") {
        if (binding === "in an object value") {
          throw syntaxError(this.source, token.start, `unexpected keyword "as" (in an object value, write ( ... as $x | ... ))`);
        }
        if (binding === "after an operator") {
          throw unsupported(
            this.source, token.start,
            `"as" after an operator (jq 1.6 binds only the last term, jq 1.8 the whole expression: ` +
              `1 + 2 as $x binds 2 in 1.6 and 3 in 1.8); put the binding first or use parentheses: (A) as $x | ...`,
          );
        }
        return this.parseBinding(term, token.start);
      } else {
        return term;
      }
    }
  }

  /** `source as $name | body`: the body is the rest of the expression. */
  private parseBinding(source: Node, at: number): Node {
    this.advance();
    const pattern = this.token;
    if (pattern.kind !== "variable") {
      if (pattern.kind === "punct" && (pattern.text === "[" || pattern.text === "{")) {
        throw unsupported(this.source, pattern.start, `destructuring patterns ("as [$a, $b]", "as {a: $a}"); bind one $name`);
      }
      throw syntaxError(this.source, pattern.start, `unexpected ${describeToken(pattern)} after "as"; expected $name`);
    }
    if (pattern.name === "__loc__") throw syntaxError(this.source, pattern.start, `"$__loc__" cannot be bound`);
    this.advance();
    if (!this.isPunct("|")) {
      throw syntaxError(this.source, this.token.start, `unexpected ${describeToken(this.token)}; expected "|" after "as $${pattern.name}"`);
    }
    this.advance();
    this.scope.push(pattern.name);
    const body = this.parsePipe();
    this.scope.pop();
    return { type: "bind", source, name: pattern.name, body, at };
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
      return { type: "iterate", target, optional: false, at: open.start };
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
      return { type: "index", target, key: keyToken.value, optional: false, at: open.start };
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
      return { type: "index", target, key: clampIndex(key), optional: false, at: open.start };
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
        return this.finishStep({ type: "index", target: { type: "identity" }, key: token.name, optional: false, at: token.start });
      case "number":
        this.advance();
        return { type: "literal", value: token.value, at: token.start };
      case "string":
        this.advance();
        return { type: "literal", value: token.value, at: token.start };
      case "variable":
        this.advance();
        return this.variable(token);
      case "ident":
        return this.parseNamedTerm(token);
      case "keyword":
        if (token.name === "and" || token.name === "or" || token.name === "as") throw this.unexpected();
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
        if (next.kind !== "string") return { type: "identity", at: token.start };
        this.advance();
        return this.finishStep({ type: "index", target: { type: "identity" }, key: next.value, optional: false, at: token.start });
      }
      case "(": {
        this.advance();
        if (this.isPunct(")")) throw this.unexpected();
        const inner = this.parsePipe();
        this.expectClosing(")", token);
        return inner;
      }
      case "[": {
        this.advance();
        if (this.isPunct("]")) {
          this.advance();
          return { type: "array", body: null, at: token.start };
        }
        const body = this.parsePipe();
        this.expectClosing("]", token);
        return { type: "array", body, at: token.start };
      }
      case "{":
        return this.parseObject();
      default:
        throw this.unexpected();
    }
  }

  private expectClosing(closer: string, open: Token): void {
    if (this.isPunct(closer)) {
      this.advance();
      return;
    }
    if (this.atEnd()) throw syntaxError(this.source, open.start, `unclosed "${(open as { text?: string }).text ?? "("}"`);
    throw this.unexpected();
  }

  /** `$name`, which must be bound by an enclosing `as`, or `$__loc__`. */
  private variable(token: Token & { kind: "variable" }): Node {
    if (token.name === "__loc__") return { type: "location", line: lineOf(this.source, token.start), at: token.start };
    if (!this.scope.includes(token.name)) throw syntaxError(this.source, token.start, `$${token.name} is not defined`);
    return { type: "variable", name: token.name, at: token.start };
  }

  /**
   * `{...}` (jq 1.6's MkDict): `a: v`, `"a b": v`, `(k): v`, keyword keys (`if: v`), and the shorthands
   * `a`, `"a b"` and `$x`; a trailing comma is allowed. Values are jq's ExpD: terms, `-`, and `|` only.
   */
  private parseObject(): Node {
    const open = this.advance();
    const entries: ObjectEntry[] = [];
    while (!this.isPunct("}")) {
      entries.push(this.parseObjectEntry());
      if (this.isPunct(",")) {
        this.advance();
        continue;
      }
      if (this.isPunct("}")) break;
      if (this.atEnd()) throw syntaxError(this.source, open.start, `unclosed "{"`);
      throw syntaxError(
        this.source, this.token.start,
        `unexpected ${describeToken(this.token)} in an object; an object value is a term, "-" or "|" in jq 1.6: write {a: (.b == 1)}`,
      );
    }
    this.advance();
    return { type: "object", entries, at: open.start };
  }

  private parseObjectEntry(): ObjectEntry {
    const token = this.token;
    const literalKey = (key: string): Node => ({ type: "literal", value: key, at: token.start });
    switch (token.kind) {
      case "ident":
      case "field": {
        if (token.kind === "field") throw this.unexpected();
        this.advance();
        if (this.takeColon()) return { key: literalKey(token.name), value: this.parseObjectValue() };
        return { key: literalKey(token.name), value: { type: "index", target: { type: "identity" }, key: token.name, optional: false, at: token.start } };
      }
      case "keyword": {
        this.advance();
        if (!this.takeColon()) throw syntaxError(this.source, token.start, `keyword "${token.name}" as an object key needs a value: {${token.name}: ...}`);
        return { key: literalKey(token.name), value: this.parseObjectValue() };
      }
      case "string": {
        this.advance();
        if (this.takeColon()) return { key: literalKey(token.value), value: this.parseObjectValue() };
        return { key: literalKey(token.value), value: { type: "index", target: { type: "identity" }, key: token.value, optional: false, at: token.start } };
      }
      case "variable": {
        if (token.name === "__loc__") throw unsupported(this.source, token.start, `{$__loc__} (jq 1.6 does not compile it, jq 1.7 does)`);
        this.advance();
        return { key: literalKey(token.name), value: this.variable(token) };
      }
      case "punct":
        if (token.text === "(") {
          this.advance();
          const key = this.parsePipe();
          this.expectClosing(")", token);
          const constant = constantOf(key);
          if (constant !== undefined && typeof constant.value !== "string") {
            // jq 1.6 folds constants at compile time and refuses a constant non-string key then
            throw syntaxError(this.source, token.start, `Cannot use ${kindName(constant.value)} (${dumpTruncated(constant.value)}) as object key`);
          }
          if (!this.takeColon()) throw syntaxError(this.source, this.token.start, `unexpected ${describeToken(this.token)}; expected ":" after the key (${"..."})`);
          return { key, value: this.parseObjectValue() };
        }
        break;
      default:
        break;
    }
    throw syntaxError(this.source, token.start, `unexpected ${describeToken(token)}; expected an object key`);
  }

  private takeColon(): boolean {
    if (!this.isPunct(":")) return false;
    this.advance();
    return true;
  }

  /** jq's ExpD: `ExpD | ExpD`, `-ExpD`, or a term (no `as`, no operators). */
  private parseObjectValue(): Node {
    const left = this.parseObjectValueUnary();
    if (!this.isPunct("|")) return left;
    const at = this.advance().start;
    return { type: "pipe", left, right: this.parseObjectValue(), at };
  }

  private parseObjectValueUnary(): Node {
    if (!this.isPunct("-")) return this.parsePostfix("in an object value");
    const at = this.advance().start;
    return negated(this.parseObjectValueUnary(), at);
  }

  /** `true`, `false`, `null`, `not`, `empty`, `select(f)` and the builtins; any other name is unsupported. */
  private parseNamedTerm(token: Token & { kind: "ident" }): Node {
    this.advance();
    const name = token.name;
    const args = this.isPunct("(") ? this.parseArguments(name) : [];
    const at = token.start;
    if (args.length === 0) {
      switch (name) {
        case "true": return { type: "literal", value: true, at };
        case "false": return { type: "literal", value: false, at };
        case "null": return { type: "literal", value: null, at };
        case "not": return { type: "not", at };
        case "empty": return { type: "empty", at };
      }
    }
    if (name === "select" && args.length === 1) return { type: "select", condition: args[0]!, at };
    if (isBuiltin(name) && BUILTINS[name].includes(args.length)) return this.checkedCall(name, args, at);
    if (["true", "false", "null", "not", "empty", "select"].includes(name) || isBuiltin(name)) {
      throw syntaxError(this.source, at, `${name}/${args.length} is not defined`);
    }
    throw unsupported(this.source, at, args.length ? `function "${name}" with arguments` : `function "${name}"`);
  }

  /** `(a; b; ...)`: each argument is a whole expression. */
  private parseArguments(name: string): Node[] {
    const open = this.advance();
    const args: Node[] = [];
    for (;;) {
      if (this.isPunct(")") || this.isPunct(";")) throw this.unexpected();
      args.push(this.parsePipe());
      if (this.isPunct(";")) {
        this.advance();
        continue;
      }
      if (this.isPunct(")")) {
        this.advance();
        return args;
      }
      if (this.atEnd()) throw syntaxError(this.source, open.start, `unclosed "(" of ${name}(...)`);
      throw this.unexpected();
    }
  }

  /** Builtins whose meaning differs between jq versions for some arguments: reject those arguments here. */
  private checkedCall(name: BuiltinName, args: Node[], at: number): Node {
    if ((name === "any" || name === "all") && args.length > 0) {
      const condition = args[args.length - 1]!;
      if (!atMostOneOutput(condition)) {
        throw unsupported(
          this.source, startOf(condition) ?? at,
          `${name}(...) with a condition that can yield several values (jq 1.6 counts them, jq 1.7 does not: ` +
            `${name === "any" ? "any(true, true) is false in 1.6" : "the versions differ"}); write a condition with one value`,
        );
      }
    }
    if (name === "IN" && args.length === 2 && !ignoresInput(args[1]!)) {
      throw unsupported(
        this.source, startOf(args[1]!) ?? at,
        `IN(source; s) where s reads its input (jq 1.6 gives s each output of source, jq 1.7 the input): use IN(s) or bind the values with "as $x"`,
      );
    }
    if (name === "test" || name === "match") {
      const [first, second] = args;
      const flags = args.length === 2 && second?.type === "literal" ? second.value : null;
      const literalFlags = args.length === 1 || second?.type === "literal";
      if (first?.type === "literal" && typeof first.value === "string" && literalFlags) {
        const problem = checkRegexLiteral(first.value, flags, name === "match");
        if (problem !== undefined) throw unsupported(this.source, startOf(first) ?? at, problem);
      }
    }
    return { type: "call", name, args, at };
  }

  /** The current token cannot appear here; phrase it as jq would see it. */
  private unexpected() {
    const token = this.token;
    if (token.kind === "keyword" && token.name !== "and" && token.name !== "or" && token.name !== "as") {
      return unsupported(this.source, token.start, `keyword "${token.name}"`);
    }
    return syntaxError(this.source, token.start, `unexpected ${describeToken(token)}`);
  }
}

/**
 * Whether a node yields at most one value for any input (it may also yield none, or fail). Generators
 * (`.[]`, `,`) and anything built on them may yield more.
 */
export function atMostOneOutput(node: Node): boolean {
  switch (node.type) {
    case "identity": case "literal": case "not": case "empty": case "variable": case "location": case "array":
      return true;
    case "index": case "iterate":
      return node.type === "index" && atMostOneOutput(node.target);
    case "comma":
      return false;
    case "pipe": case "and": case "or": case "alternative": case "compare":
      return atMostOneOutput(node.left) && atMostOneOutput(node.right);
    case "negate":
      return atMostOneOutput(node.operand);
    case "select":
      return atMostOneOutput(node.condition);
    case "object":
      return node.entries.every((entry) => atMostOneOutput(entry.key) && atMostOneOutput(entry.value));
    case "bind":
      return atMostOneOutput(node.source) && atMostOneOutput(node.body);
    case "call":
      if (node.name === "match") return false;
      if (node.name === "in") return atMostOneOutput(node.args[0]!);
      if (node.name === "IN" || node.name === "any" || node.name === "all" || node.name === "map") return true;
      return node.args.every(atMostOneOutput);
  }
}

/** Where a construct's text starts: binary operators start with their left operand. */
export function startOf(node: Node): number | undefined {
  switch (node.type) {
    case "pipe": case "comma": case "and": case "or": case "alternative": case "compare":
      return startOf(node.left) ?? node.at;
    case "index": case "iterate":
      return startOf(node.target) ?? node.at;
    case "bind":
      return startOf(node.source) ?? node.at;
    default:
      return node.at;
  }
}

/** Whether a node gives the same outputs whatever its input (it reads no `.`). */
function ignoresInput(node: Node): boolean {
  switch (node.type) {
    case "literal": case "variable": case "location": case "empty":
      return true;
    case "array":
      return node.body === null || ignoresInput(node.body);
    case "pipe":
      return ignoresInput(node.left);
    case "comma": case "and": case "or": case "alternative": case "compare":
      return ignoresInput(node.left) && ignoresInput(node.right);
    case "negate":
      return ignoresInput(node.operand);
    case "object":
      return node.entries.every((entry) => ignoresInput(entry.key) && ignoresInput(entry.value));
    case "bind":
      return ignoresInput(node.source) && ignoresInput(node.body);
    default:
      return false;
  }
}

/** Literals made by folding `-1`: jq 1.6 compiles those as a call, not as a constant. */
const FOLDED = new WeakSet<Node>();

/** `-T`, folding a negated number literal into a literal. */
function negated(operand: Node, at: number): Node {
  if (operand.type === "literal" && typeof operand.value === "number") {
    const literal: Node = { type: "literal", value: -operand.value, at };
    FOLDED.add(literal);
    return literal;
  }
  return { type: "negate", operand, at };
}

/**
 * The value of an expression jq 1.6 computes at compile time (src/compile.c gen_const_array and
 * gen_const_object, src/parser.y constant_fold): literals, `$__loc__`, arrays of constants written as a
 * left-nested comma list, objects of constant keys and values, comparisons of two number constants.
 */
function constantOf(node: Node): { value: unknown } | undefined {
  switch (node.type) {
    case "literal":
      return FOLDED.has(node) ? undefined : { value: node.value };
    case "location":
      return { value: { file: "<top-level>", line: node.line } };
    case "array": {
      if (node.body === null) return { value: [] };
      const items = constantItems(node.body);
      return items && { value: items };
    }
    case "object": {
      const object: Record<string, unknown> = {};
      for (const entry of node.entries) {
        const key = constantOf(entry.key);
        const value = constantOf(entry.value);
        if (key === undefined || typeof key.value !== "string" || value === undefined) return undefined;
        Object.defineProperty(object, key.value, { value: value.value, enumerable: true, writable: true, configurable: true });
      }
      return { value: object };
    }
    case "compare": {
      const left = constantOf(node.left);
      const right = constantOf(node.right);
      if (typeof left?.value !== "number" || typeof right?.value !== "number") return undefined;
      const [a, b] = [left.value, right.value];
      const results = { "==": a === b, "!=": a !== b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b };
      return { value: results[node.operator] };
    }
    default:
      return undefined;
  }
}

/** The elements of `[a, b, c]` when they are constants in a left-nested comma list. */
function constantItems(node: Node): unknown[] | undefined {
  if (node.type !== "comma") {
    const single = constantOf(node);
    return single && [single.value];
  }
  if (node.right.type === "comma") return undefined;
  const left = constantItems(node.left);
  const right = constantOf(node.right);
  return left && right && [...left, right.value];
}

/** The 1-based line of an offset, as jq's $__loc__ reports it. */
function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

/** Beyond ±INT_MAX every jq version answers "out of range" (null); keep the key in a safe range. */
function clampIndex(index: number): number {
  if (index > INT_MAX) return INT_MAX;
  if (index < -INT_MAX - 1) return -INT_MAX - 1;
  return index;
}

