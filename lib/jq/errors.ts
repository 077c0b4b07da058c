/**
 * The two ways a jq program can fail: it does not compile (syntax error, or a
 * construct outside trailpost's subset), or it fails while running on an input.
 */

/** Where in the program source an error was found (1-based, columns count code points). */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * The program was rejected: either jq itself would not compile it, or it uses
 * something outside the subset that trailpost implements. `position` points at
 * the offending token.
 */
export class JqSyntaxError extends Error {
  readonly line: number;
  readonly column: number;

  constructor(message: string, position: SourcePosition) {
    super(message);
    this.name = "JqSyntaxError";
    this.line = position.line;
    this.column = position.column;
  }
}

/**
 * Evaluation failed on a particular input. The message is jq's own text
 * (as printed by jq 1.6 and 1.7 after "jq: error (at <file>:N): ").
 */
export class JqRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JqRuntimeError";
  }
}

/** Translates a UTF-16 offset in `source` into a line and a code-point column. */
export function positionAt(source: string, offset: number): SourcePosition {
  const before = source.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (before.charCodeAt(i) === 10) line++;
  let column = 1;
  for (const _ of before.slice(lineStart)) column++;
  return { line, column };
}

/** "column 7", or "line 2, column 7" for a program that spans lines. */
export function describePosition(source: string, position: SourcePosition): string {
  return source.includes("\n")
    ? `line ${position.line}, column ${position.column}`
    : `column ${position.column}`;
}

/**
 * Evaluation stopped because the answer depends on the jq version (jq 1.6 and 1.7+ give different results
 * for this data), or on a feature trailpost implements only where all versions agree (a regular expression
 * built at run time). trailpost refuses rather than pick one; the message says why.
 */
export class JqVersionError extends JqRuntimeError {
  constructor(message: string) {
    super(message);
    this.name = "JqVersionError";
  }
}
