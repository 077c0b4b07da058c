/**
 * The AWS shared `config` and `credentials` files, read exactly as the AWS CLI reads them: botocore's
 * `raw_config_parse` over Python's strict `configparser.RawConfigParser`. What that means for awkward files:
 *
 * - A line indented deeper than the key above it continues that key's value (`s3 =` followed by indented
 *   `key = value` lines is a nested section, returned as an object). A key indented under a section header, with
 *   nothing above it to continue, is an ordinary key: `[p]\n  aws_access_key_id = …` sets it.
 * - `#` and `;` start comments only at the start of a line; `key = value # note` keeps `# note` in the value.
 * - `key: value` works like `key = value`; keys are lowercased, section names are kept exactly (`[ default ]` is
 *   not `[default]`); `[DEFAULT]` holds values every section inherits.
 * - A repeated section, a repeated key in a section, a key before any section, or a line that is none of these is
 *   an error (the CLI refuses such files too). Errors name the line, never its text: it may hold a secret.
 * - A UTF-8 byte order mark is ignored (the one leniency: Windows editors write it, the CLI then fails).
 *
 * ```ts
 * const sections = parseIni("[default]\nregion = eu-west-1\n"); // { default: { region: "eu-west-1" } }
 * ```
 */

export type IniValue = string | Record<string, string>;
export type IniSection = Record<string, IniValue>;
/** Sections by exact name, in file order, `[DEFAULT]` merged into each (not listed itself). */
export type Ini = Record<string, IniSection>;

type Options = Map<string, { parts: string[]; line: number }>;

export class IniError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const DEFAULT_SECTION = "DEFAULT";

export function parseIni(text: string): Ini {
  const sections = new Map<string, Options>();
  const defaults: Options = new Map();
  const added = new Set<string>();
  let current: Options | undefined;
  let sectionName = "";
  let option: string | undefined;
  let indentLevel = 0;
  let firstError: IniError | undefined;

  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, index) => {
    const number = index + 1;
    const stripped = pyStrip(line);
    const comment = stripped.startsWith("#") || stripped.startsWith(";");
    const value = comment ? "" : stripped;
    if (!value) {
      // an empty line inside a value is kept (and trimmed at the end); a comment line is dropped
      if (!comment && current && option !== undefined) current.get(option)?.parts.push("");
      return;
    }
    const indent = line.search(NON_SPACE);
    if (current && option !== undefined && indent > indentLevel) {
      current.get(option)!.parts.push(value);
      return;
    }
    indentLevel = indent;
    const header = /^\[(.+)\]/.exec(value);
    if (header) {
      const name = header[1]!;
      if (name === DEFAULT_SECTION) current = defaults;
      else if (sections.has(name)) throw new IniError(number, `section [${name}] appears twice`);
      else sections.set(name, (current = new Map()));
      sectionName = name;
      option = undefined;
      return;
    }
    if (!current) throw new IniError(number, "a key before the first [section]");
    const match = OPTION.exec(value);
    if (!match || !match[1]) {
      firstError ??= new IniError(number, match ? "a line with no key before its = or :" : "not a [section], a key = value line or a comment");
      return;
    }
    option = pyRstrip(match[1]).toLowerCase();
    if (added.has(`${sectionName}\0${option}`)) throw new IniError(number, `key ${option} appears twice in section [${sectionName}]`);
    added.add(`${sectionName}\0${option}`);
    current.set(option, { parts: [pyStrip(match[3]!)], line: number });
  });
  if (firstError) throw firstError;

  const out: Ini = Object.create(null);
  for (const [name, options] of sections) {
    const section: IniSection = Object.create(null);
    for (const [key, { parts, line }] of [...options, ...[...defaults].filter(([k]) => !options.has(k))]) {
      const joined = pyRstrip(parts.join("\n"));
      section[key] = joined.startsWith("\n") ? nested(joined, line, key) : joined;
    }
    out[name] = section;
  }
  return out;
}

/** botocore's `_parse_nested`: the indented `key = value` lines under `s3 =` and the like. */
function nested(value: string, keyLine: number, key: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const raw of value.split("\n")) {
    const text = pyStrip(raw);
    if (!text) continue;
    const eq = text.indexOf("=");
    if (eq < 0) throw new IniError(keyLine, `a line nested under ${key} has no =`);
    out[pyStrip(text.slice(0, eq))] = pyStrip(text.slice(eq + 1));
  }
  return out;
}

/** Python's whitespace (str.isspace): JavaScript's \s without U+FEFF, plus U+001C–U+001F and U+0085. */
const PY_SPACE = "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const NON_SPACE = new RegExp(`[^${PY_SPACE}]`);
/** configparser's OPTCRE: the key up to the first = or :, spaces around the delimiter dropped. */
const OPTION = new RegExp(`^(.*?)[${PY_SPACE}]*([=:])[${PY_SPACE}]*(.*)$`);
const LEADING = new RegExp(`^[${PY_SPACE}]+`);
const TRAILING = new RegExp(`[${PY_SPACE}]+$`);

function pyStrip(text: string): string {
  return pyRstrip(text.replace(LEADING, ""));
}

function pyRstrip(text: string): string {
  return text.replace(TRAILING, "");
}
