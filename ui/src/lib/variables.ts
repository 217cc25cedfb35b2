// How the Variables page reads what people type: JSON when it parses, else the text itself as
// a string (as `legato variables set` does), and how a stored value is shown.

/** The value typed for a variable: `500` -> 500, `{"a": 1}` -> an object, `prod` -> "prod". */
export function parseVariable(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A stored value as one line of JSON. */
export function showVariable(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}
