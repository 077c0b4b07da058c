/**
 * What a document must be for the engine to take it, checked from the outside (not with the builder's own
 * helpers), and the exact comparison of a record with what a document gives back.
 */
import { isJsonObject, JsonNumber, parseLossless, type JsonObject, type JsonValue } from "../../lib/json/lossless.ts";
import { keysInText } from "../../lib/search/document.ts";
import { CLOUDTRAIL, type Fields } from "../../lib/search/schema.ts";

/** Keys sorted at every level, numbers exactly as spelled: two values print equal only if they are equal. */
export function exactJson(value: JsonValue): string {
  if (value instanceof JsonNumber) return value.raw;
  if (Array.isArray(value)) return `[${value.map(exactJson).join(",")}]`;
  if (isJsonObject(value)) return `{${[...value.keys()].sort().map((k) => `${JSON.stringify(k)}:${exactJson(value.get(k)!)}`).join(",")}}`;
  return JSON.stringify(value);
}

export function countKeys(value: JsonValue): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countKeys(v), 0);
  let n = 0;
  if (isJsonObject(value)) for (const v of value.values()) n += 1 + countKeys(v);
  return n;
}

/** Every problem the engine would have with this document text (an empty list: none). */
export function documentProblems(source: string): string[] {
  const problems: string[] = [];
  let doc: JsonValue;
  try {
    doc = parseLossless(source);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  if (!isJsonObject(doc)) return ["not an object"];
  if (keysInText(source) !== countKeys(doc)) problems.push("a key appears twice in one object");
  const plainKey = (k: string) => k.length > 0 && !k.includes(".") && k.trim().replace(/[\u0000-\u001f\u007f\u200b\u0085\ufeff]/g, "") !== "";
  const flatKey = (k: string) => k.length > 0 && k.trim() !== "" && !k.startsWith(".") && !k.endsWith(".") && !k.includes("..");
  const walk = (value: JsonValue, fields: Fields | undefined, path: string, inFlat: boolean) => {
    if (Array.isArray(value)) return value.forEach((v) => walk(v, fields, path, inFlat));
    if (!isJsonObject(value)) return;
    for (const [key, v] of value) {
      const at = path ? `${path}.${key}` : key;
      if (inFlat ? !flatKey(key) : !plainKey(key)) problems.push(`key ${JSON.stringify(at)}`);
      if (!inFlat && !path && key.startsWith("_")) problems.push(`metadata field ${key}`);
      if (!path && key === "trailpost") continue;
      const spec = !inFlat && fields ? (Object.hasOwn(fields, key) ? fields[key] : undefined) : undefined;
      if (spec === undefined) walk(v, undefined, at, inFlat);
      else if (typeof spec === "object") {
        if (v !== null && !isJsonObject(v) && !(Array.isArray(v) && v.every((e) => e === null || isJsonObject(e)))) problems.push(`${at} is not an object`);
        walk(v, spec, at, false);
      } else if (spec === "flat") {
        if (v !== null && !isJsonObject(v)) problems.push(`${at} (flat) is not an object`);
        walk(v, undefined, at, true);
      } else {
        const scalar = (s: JsonValue): boolean => (Array.isArray(s) ? s.every(scalar) : !isJsonObject(s));
        if (!scalar(v)) problems.push(`${at} (${spec}) holds an object`);
        const leaves = (s: JsonValue): JsonValue[] => (Array.isArray(s) ? s.flatMap(leaves) : [s]);
        if (spec === "boolean" && !leaves(v).every((s) => s === null || typeof s === "boolean" || s === "true" || s === "false" || s === "")) problems.push(`${at} is not a boolean`);
        if (spec === "date" && !(typeof v === "string" || v === null)) problems.push(`${at} is not a date string`);
      }
    }
  };
  walk(doc, CLOUDTRAIL, "", false);
  const trailpost = doc.get("trailpost");
  if (trailpost !== undefined) {
    if (!isJsonObject(trailpost)) problems.push("trailpost is not an object");
    else {
      for (const key of trailpost.keys()) if (!["unindexed", "unindexedPaths", "integrity"].includes(key)) problems.push(`trailpost.${key}`);
    }
  }
  return problems;
}

export function asObject(value: JsonValue): JsonObject {
  if (!isJsonObject(value)) throw new TypeError("not an object");
  return value;
}
