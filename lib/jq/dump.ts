/**
 * jq's compact JSON rendering of values (jv_dump_string with no flags), used to
 * quote the offending value in runtime error messages exactly as jq 1.6/1.7 do,
 * including the byte-level truncation to 11 bytes plus "...".
 */
import { documentKeyOrder } from "./json.ts";
import { Kind, kindOf } from "./order.ts";

const DOUBLE_MAX = 1.7976931348623157e308;

/** jq's number formatting (jvp_dtoa_fmt): shortest round-trip digits, exponent as e+NN / e-NN. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return "null";
  const clamped = x > DOUBLE_MAX ? DOUBLE_MAX : x < -DOUBLE_MAX ? -DOUBLE_MAX : x;
  const sign = clamped < 0 || Object.is(clamped, -0) ? "-" : "";
  const [mantissa = "0", exponent = "0"] = Math.abs(clamped).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const decimalPoint = Number(exponent) + 1;
  if (decimalPoint <= -4 || decimalPoint > digits.length + 15) {
    const shown = Math.abs(decimalPoint - 1);
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    return `${sign}${digits[0]}${fraction}e${decimalPoint - 1 < 0 ? "-" : "+"}${String(shown).padStart(2, "0")}`;
  }
  if (decimalPoint <= 0) return `${sign}0.${"0".repeat(-decimalPoint)}${digits}`;
  if (decimalPoint >= digits.length) return `${sign}${digits}${"0".repeat(decimalPoint - digits.length)}`;
  return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
}

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r",
};

/** jq's string quoting: escapes `"`, `\` and control characters (incl. DEL), keeps other characters raw. */
export function quoteString(text: string): string {
  let quoted = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0x22 || unit === 0x5c) quoted += "\\" + text[i];
    else if (unit < 0x20 || unit === 0x7f) quoted += SHORT_ESCAPES[unit] ?? `\\u${unit.toString(16).padStart(4, "0")}`;
    else quoted += text[i];
  }
  return quoted + '"';
}

/** Compact JSON as jq prints it with `-c` (object keys in the object's own order). */
export function dumpValue(value: unknown): string {
  switch (kindOf(value)) {
    case Kind.Null: return "null";
    case Kind.False: return "false";
    case Kind.True: return "true";
    case Kind.Number: return formatNumber(value as number);
    case Kind.String: return quoteString(value as string);
    case Kind.Array: return `[${(value as readonly unknown[]).map(dumpValue).join(",")}]`;
    case Kind.Object: {
      const object = value as Record<string, unknown>;
      const keys = documentKeyOrder.get(object) ?? Object.keys(object); // jq's order for integer-like keys too
      return `{${keys.map((key) => `${quoteString(key)}:${dumpValue(object[key])}`).join(",")}}`;
    }
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * jv_dump_string_trunc: the dump, cut to `bufferSize - 1` UTF-8 bytes with the
 * last three replaced by "..." when it is longer. A cut through a multi-byte
 * character leaves invalid UTF-8 in jq's message; here it decodes to U+FFFD.
 */
export function dumpTruncated(value: unknown, bufferSize = 15): string {
  const dump = dumpValue(value);
  const bytes = encoder.encode(dump);
  if (bytes.length <= bufferSize - 1) return dump;
  return decoder.decode(bytes.subarray(0, bufferSize - 4)) + "...";
}

/** Length of a string in UTF-8 bytes. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
