/**
 * The two kinds of rejection the lexer and parser raise, with messages that
 * name the offending token and where it is.
 */
import { describePosition, JqSyntaxError, positionAt } from "./errors.ts";

/** What the subset covers, quoted in every "unsupported" message. */
export const SUPPORTED_SUMMARY =
  `., .a, ."a b", .["a"], .[], .[n], ? after those, |, ",", (), //, comparisons, and/or/not, literals, ` +
  `[...], {...}, ... as $x | ..., $__loc__, select, empty, length, keys, has, in, contains, startswith, endswith, ` +
  `ascii_downcase, ascii_upcase, tostring, tonumber, type, IN, any, all, map, test, match`;

/** A program jq itself would not compile. */
export function syntaxError(source: string, offset: number, problem: string): JqSyntaxError {
  const position = positionAt(source, offset);
  return new JqSyntaxError(
    `jq syntax error at ${describePosition(source, position)}: ${problem}`,
    position,
  );
}

/** A construct jq has but trailpost's subset does not implement (or implements only where all jq versions agree). */
export function unsupported(source: string, offset: number, construct: string): JqSyntaxError {
  const position = positionAt(source, offset);
  return new JqSyntaxError(
    `unsupported in trailpost's jq subset: ${construct} at ${describePosition(source, position)}` +
      ` (supported: ${SUPPORTED_SUMMARY})`,
    position,
  );
}
