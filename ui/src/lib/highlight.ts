// A small line-by-line syntax colouring for Python flows and YAML manifests: comments,
// strings, numbers, keywords, decorators and YAML keys. Per line only: a string spanning
// lines is coloured on its first line alone, which is enough for reading a diff.

export type Language = "python" | "yaml" | "text";
export type TokenKind = "kw" | "str" | "com" | "num" | "key" | "dec";

export interface Token {
  text: string;
  kind?: TokenKind;
}

const PY_KEYWORDS = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
  "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
  "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
  "with", "yield",
]);
const YAML_WORDS = new Set(["true", "false", "null", "yes", "no", "~"]);

const PYTHON = /(#.*$)|("""|'''|"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)|(@[A-Za-z_][\w.]*)|(\b\d[\d_]*(?:\.\d+)?\b)|([A-Za-z_]\w*)/g;
const YAML_KEY = /^(\s*(?:-\s+)?)([^\s#'"{}[\],][^#:]*?)(:)(?=\s|$)/;
const YAML_REST = /((?<=^|\s)#.*$)|("(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_~][\w-]*)/g;

/** A flow version's source is a YAML manifest or Python (a file or a module path). */
export function languageOf(entrypoint: string | null | undefined): Language {
  return entrypoint && /\.ya?ml(:[^/\\]*)?$/i.test(entrypoint) ? "yaml" : "python";
}

function scan(text: string, pattern: RegExp, classify: (match: RegExpExecArray) => TokenKind | undefined, out: Token[]): void {
  let last = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[0] === "") {
      pattern.lastIndex++;
      continue;
    }
    const kind = classify(match);
    if (!kind) continue;
    if (match.index > last) out.push({ text: text.slice(last, match.index) });
    out.push({ text: match[0], kind });
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
}

/** The tokens of one line; joined, their texts give the line back unchanged. */
export function highlightLine(text: string, language: Language): Token[] {
  const out: Token[] = [];
  if (language === "python") {
    scan(text, PYTHON, (m) => (m[1] ? "com" : m[2] ? "str" : m[3] ? "dec" : m[4] ? "num" : PY_KEYWORDS.has(m[5]) ? "kw" : undefined), out);
  } else if (language === "yaml") {
    let rest = text;
    const key = YAML_KEY.exec(text);
    if (key && !key[1].trimStart().startsWith("#")) {
      if (key[1]) out.push({ text: key[1] });
      out.push({ text: key[2], kind: "key" });
      out.push({ text: key[3] });
      rest = text.slice(key[0].length);
    }
    scan(rest, YAML_REST, (m) => (m[1] ? "com" : m[2] ? "str" : m[3] ? "num" : YAML_WORDS.has(m[4]) ? "kw" : undefined), out);
  } else if (text) {
    out.push({ text });
  }
  return out;
}
