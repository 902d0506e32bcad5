/**
 * The Go regexp tables: rows of what Prometheus does with a regex (each run as a `replace` rule), and Go's
 * syntax errors with Go's wording. Run by goregexp_test.ts and, against a real Prometheus and promtool, by
 * the oracles.
 *
 * @module
 */

import { type Case, sample } from "./relabel.ts";

// Go regexp dialect: each row is a replace rule on label v with replacement $0 by default (whole match);
// want is the value written to label out, or null for no match.

/** One row: a regex, an input, and the value Go's regexp gives (or null for no match). */
export interface RegexRow {
  re: string;
  input: string;
  want: string | null;
  replacement?: string;
  note: string;
  noOracle?: string;
}

/** One row per construct of Go's regexp dialect. */
export const REGEX_ROWS: RegexRow[] = [
  { re: "foo", input: "foo", want: "foo", note: "literal" },
  { re: "foo", input: "foobar", want: null, note: "anchored at the end" },
  { re: "bar", input: "foobar", want: null, note: "anchored at the start" },
  { re: "(?i)foo", input: "FoO", want: "FoO", note: "(?i) at the start" },
  { re: "a(?i)b|c", input: "aB", want: "aB", note: "(?i) in the middle" },
  { re: "a(?i)b|c", input: "C", want: "C", note: "(?i) carries into the next alternative" },
  { re: "(?i:a)b", input: "Ab", want: "Ab", note: "flag group" },
  { re: "(?i:a)b", input: "AB", want: null, note: "flag group ends" },
  { re: "(?i)k", input: "\u212a", want: "\u212a", note: "simple case folding (Kelvin sign)" },
  { re: "(?P<x>a)(?P<y>b)", input: "ab", want: "a-b", replacement: "$x-${y}", note: "named groups" },
  {
    re: "(?<x>a)(?P<y>b)",
    input: "ab",
    want: "a-b",
    replacement: "$x-$y",
    note: "(?<name>) as in Go 1.22+",
    noOracle: "Prometheus 2.42 was built with Go < 1.22, which rejects (?<name>)",
  },
  { re: "(?P<1x>a)b", input: "ab", want: "a", replacement: "$1x", note: "a group named 1x" },
  {
    re: "(?P<n>x)?(?P<n>a+)",
    input: "aa",
    want: "aa",
    replacement: "$n",
    note: "duplicate name: first that matched",
  },
  { re: "(a)|b", input: "b", want: "[]", replacement: "[$1]", note: "non-participating group is empty" },
  { re: "(a)", input: "a", want: "", replacement: "$2", note: "unknown group number is empty" },
  { re: ".*", input: "a\nb", want: null, note: ". does not match \\n" },
  { re: "(?s).*", input: "a\nb", want: "a\nb", note: "(?s)" },
  { re: "[^a]", input: "\n", want: "\n", note: "negated class matches \\n" },
  { re: "a\\n(?m:^b$)", input: "a\nb", want: "a\nb", note: "(?m) ^ and $ at a line break" },
  { re: ".", input: "\r", want: "\r", note: ". matches \\r" },
  { re: "\\s", input: "\v", want: null, note: "\\s is [\\t\\n\\f\\r ] (no \\v)" },
  { re: "\\s+", input: "\t\n\f\r ", want: "\t\n\f\r ", note: "\\s" },
  { re: "\\w+", input: "é", want: null, note: "\\w is ASCII" },
  { re: "\\d", input: "٣", want: null, note: "\\d is ASCII" },
  { re: "\\W", input: "é", want: "é", note: "\\W" },
  { re: "[[:alpha:]]+", input: "abC", want: "abC", note: "POSIX class" },
  { re: "[[:^alpha:]]", input: "1", want: "1", note: "negated POSIX class" },
  { re: "\\pL+", input: "héllo", want: "héllo", note: "\\pL" },
  { re: "\\p{Greek}+", input: "αβ", want: "αβ", note: "script" },
  { re: "\\PL", input: "1", want: "1", note: "\\PL" },
  { re: "\\p{^L}", input: "a", want: null, note: "\\p{^L}" },
  { re: "\\Q.*\\E", input: ".*", want: ".*", note: "\\Q...\\E" },
  { re: "\\Q.*\\E", input: "ab", want: null, note: "\\Q...\\E is literal" },
  { re: "\\x41\\x{42}\\103\\_\\-", input: "ABC_-", want: "ABC_-", note: "hex, octal, escaped punctuation" },
  { re: "a{,2}", input: "a{,2}", want: "a{,2}", note: "{ that is not a repeat is literal" },
  { re: "a{2}b{1,}c{0,1}", input: "aabbb", want: "aabbb", note: "counted repeats" },
  { re: "[]a]+", input: "]a", want: "]a", note: "] first in a class" },
  { re: "[a-]+", input: "-a", want: "-a", note: "- last in a class" },
  { re: "(a|ab)(c|bcd)(d*)", input: "abcd", want: "a,bcd,", replacement: "$1,$2,$3", note: "leftmost-first" },
  { re: "(?U)(a+)(a*)", input: "aaa", want: "a-aa", replacement: "$1-$2", note: "(?U) swaps greediness" },
  { re: "(a+?)(a*)", input: "aaa", want: "a-aa", replacement: "$1-$2", note: "lazy" },
  { re: "(a*)+", input: "b", want: null, note: "empty iterations" },
  {
    re: "(a|b)*",
    input: "ab",
    want: "[b]",
    replacement: "[$1]",
    note: "a repeated capture keeps the last iteration",
  },
  {
    re: "(a|ab)(c|bcd)?(d*)",
    input: "abcd",
    want: "[a,bcd,]",
    replacement: "[$1,$2,$3]",
    note: "leftmost-first with an optional group",
  },
  {
    re: "(?:(a)|b)+",
    input: "ab",
    want: "[]",
    replacement: "[$1]",
    note: "KNOWN DIFFERENCE: a capture not set by the last iteration is empty here, Go keeps [a]",
    noOracle: "documented difference (JavaScript resets captures on each iteration of a repeat)",
  },
  { re: "a)|(b", input: "xb", want: "b", note: "a ) in the regex escapes the ^(?:...)$ anchoring, as in Go" },
];

/** The relabel case of a row: a `replace` of label `v` into label `out`. */
export function regexCase(row: RegexRow): Case {
  const out = row.want === null || row.want === "" ? [] : ["out", row.want];
  return {
    name: `regex ${row.note}`,
    rules: [{
      source_labels: ["v"],
      regex: row.re,
      target_label: "out",
      replacement: row.replacement ?? "$0",
    }],
    input: sample("m", { v: row.input }),
    want: { name: "m", labels: ["v", row.input, ...out] },
    noOracle: row.noOracle,
  };
}

/**
 * Go syntax errors: [regex, our message (Go's code and fragment), whether Go before 1.22 says the same]. The
 * promtool test in goregexp_test.ts checks Go agrees; promtool 2.42 was built with an older Go, which did not know
 * `(?<name>…)` and so words those errors differently.
 */
export const REGEX_ERRORS: [string, string, boolean?][] = [
  ["(", 'missing closing ): "^(?:()$"'],
  [")", 'unexpected ): "^(?:))$"'],
  ["[a", 'missing closing ]: "[a)$"'],
  ["a**", 'invalid nested repetition operator: "**"'],
  ["a{2}{3}", 'invalid nested repetition operator: "{2}{3}"'],
  ["*a", 'missing argument to repetition operator: "*"'],
  ["x{1001}", 'invalid repeat count: "{1001}"'],
  ["x{2,1}", 'invalid repeat count: "{2,1}"'],
  ["(a{10}){101}", 'invalid repeat count: "{101}"'],
  ["\\1", 'invalid escape sequence: "\\\\1"'],
  ["\\8", 'invalid escape sequence: "\\\\8"'],
  ["\\e", 'invalid escape sequence: "\\\\e"'],
  ["\\C", 'invalid escape sequence: "\\\\C"'],
  ["[\\b]", 'invalid escape sequence: "\\\\b"'],
  ["\\xZZ", 'invalid escape sequence: "\\\\xZZ"'],
  ["(?=a)", 'invalid or unsupported Perl syntax: "(?="'],
  ["(?<!a)", 'invalid named capture: "(?<!a))$"', false],
  ["(?P=n)", 'invalid or unsupported Perl syntax: "(?P"'],
  ["(?i-)", 'invalid or unsupported Perl syntax: "(?i-)"'],
  ["(?P<a-b>x)", 'invalid named capture: "(?P<a-b>"'],
  ["[z-a]", 'invalid character class range: "z-a"'],
  ["[[:foo:]]", 'invalid character class range: "[:foo:]"'],
  ["\\p{Foo}", 'invalid character class range: "\\\\p{Foo}"'],
  ["\\pX", 'invalid character class range: "\\\\pX"'],
];
