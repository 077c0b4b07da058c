/** Error text for messages: one line, with fetch's underlying cause (the part that says what went wrong). */

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "fetch failed (connect ECONNREFUSED 127.0.0.1:9200)": the error and its cause, as fetch reports them. */
export function networkReason(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string; code?: string } };
  const cause = e?.cause?.message ?? e?.cause?.code;
  return `${e?.message ?? String(error)}${cause && cause !== e?.message ? ` (${cause})` : ""}`;
}

/** A URL for messages: any `user:password@` is replaced by `***@`, also when the URL does not parse. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    return url.replace(/^([a-zA-Z][\w+.-]*:\/\/)[^@/]*@/, "$1***@"); // a parsed userinfo holds no "/"
  } catch {
    // unparsable, e.g. an unencoded "/" in the password: hide everything up to the last "@"
    return url.replace(/^([a-zA-Z][\w+.-]*:\/\/)[^#?]*@/, "$1***@");
  }
}
