import { describe, expect, it } from "vitest";
import { highlightLine, languageOf, type Token } from "./highlight";

const kinds = (tokens: Token[]) => tokens.filter((t) => t.kind).map((t) => `${t.kind}:${t.text}`);
const joined = (tokens: Token[]) => tokens.map((t) => t.text).join("");

describe("highlightLine", () => {
  it("colours Python keywords, strings, numbers, decorators and comments", () => {
    const line = '    return f(\'a # b\', 42) if x else None  # done';
    const tokens = highlightLine(line, "python");
    expect(joined(tokens)).toBe(line);
    expect(kinds(tokens)).toEqual(["kw:return", "str:'a # b'", "num:42", "kw:if", "kw:else", "kw:None", "com:# done"]);
    expect(kinds(highlightLine("@flow(retries=2)", "python"))).toEqual(["dec:@flow", "num:2"]);
    // A name that contains a keyword is not one.
    expect(kinds(highlightLine("format_input = 1", "python"))).toEqual(["num:1"]);
  });

  it("colours YAML keys, list item keys, values and comments", () => {
    const line = "      - name: message   # the input";
    const tokens = highlightLine(line, "yaml");
    expect(joined(tokens)).toBe(line);
    expect(kinds(tokens)).toEqual(["key:name", "com:# the input"]);
    expect(kinds(highlightLine('        value: "hello: world"', "yaml"))).toEqual(['key:value', 'str:"hello: world"']);
    expect(kinds(highlightLine("  parallelism: 3", "yaml"))).toEqual(["key:parallelism", "num:3"]);
    expect(kinds(highlightLine("  enabled: true", "yaml"))).toEqual(["key:enabled", "kw:true"]);
    expect(kinds(highlightLine("# a: comment", "yaml"))).toEqual(["com:# a: comment"]);
  });

  it("leaves plain text and empty lines as they are", () => {
    expect(highlightLine("", "python")).toEqual([]);
    expect(highlightLine("a: b", "text")).toEqual([{ text: "a: b" }]);
  });
});

describe("languageOf", () => {
  it("reads the language from the entrypoint", () => {
    expect(languageOf("wf.yaml:main")).toBe("yaml");
    expect(languageOf("flows.py:etl")).toBe("python");
    expect(languageOf("pkg.module:etl")).toBe("python");
    expect(languageOf(null)).toBe("python");
  });
});
