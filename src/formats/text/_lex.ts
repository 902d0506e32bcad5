/**
 * Character-level helpers for the Prometheus text / OpenMetrics parser: character classes, the Go
 * `strconv.ParseFloat` decimal grammar, integer timestamps and short quoting for error messages. Everything
 * works on `(string, start, end)` ranges so the scanner never slices a line it does not keep.
 *
 * @module
 */

/** Largest magnitude of an int64 millisecond timestamp, as digits, to compare 19-digit inputs exactly. */
const INT64_MAX_DIGITS = "9223372036854775807";
const INT64_MIN_DIGITS = "9223372036854775808";

/** Exact powers of ten for the fast decimal path. */
const POW10 = [
  1,
  1e1,
  1e2,
  1e3,
  1e4,
  1e5,
  1e6,
  1e7,
  1e8,
  1e9,
  1e10,
  1e11,
  1e12,
  1e13,
  1e14,
  1e15,
  1e16,
  1e17,
  1e18,
  1e19,
  1e20,
  1e21,
  1e22,
];

/** Largest |timestamp in ms| an OpenMetrics float timestamp may reach (int64 range). */
export const MAX_TIMESTAMP_MS = 2 ** 63;

/** True for `[a-zA-Z_:]`, the first character of a metric name. */
export function isMetricNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

/** True for `[a-zA-Z0-9_:]`, a later character of a metric name. */
export function isMetricNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (c >= 48 && c <= 57);
}

/** True for `[a-zA-Z_]`, the first character of a label name. */
export function isLabelNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/** True for `[a-zA-Z0-9_]`, a later character of a label name. */
export function isLabelNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57);
}

/** Lower-cases an ASCII letter code; other codes pass through. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** True when `s[start, end)` equals the lower-case ASCII word `word`, ignoring case. */
function equalsIgnoreCase(s: string, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if (lower(s.charCodeAt(start + i)) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Parses `s[start, end)` with the decimal syntax of Go's `strconv.ParseFloat`, which both Prometheus parsers
 * use: `[+-]` then digits with an optional `.` and fraction and an optional `e`/`E` exponent, or `inf` /
 * `infinity` (any case, optional sign), or `nan` (any case, no sign). Hex floats, `_` and `0x` are refused
 * (Prometheus refuses them too), and so is a finite literal that overflows to infinity (Go returns
 * `ErrRange`). Returns `undefined` when the text is not a number, since `NaN` is a valid result.
 */
export function parseGoFloat(s: string, start: number, end: number): number | undefined {
  let i = start;
  if (i >= end) return undefined;
  let c = s.charCodeAt(i);
  let negative = false;
  let signed = false;
  if (c === 43 || c === 45) {
    negative = c === 45;
    signed = true;
    if (++i >= end) return undefined;
    c = s.charCodeAt(i);
  }
  if (c === 73 || c === 105) { // I i
    if (equalsIgnoreCase(s, i, end, "inf") || equalsIgnoreCase(s, i, end, "infinity")) {
      return negative ? -Infinity : Infinity;
    }
    return undefined;
  }
  if (c === 78 || c === 110) { // N n
    return !signed && equalsIgnoreCase(s, i, end, "nan") ? NaN : undefined;
  }
  // Digits are accumulated into an integer mantissa. With at most 15 digits the mantissa is exact, and so is
  // 10^k for k <= 22, so one multiplication or division gives the correctly rounded result (the classic
  // fast path of decimal conversion); anything else goes to Number(), which rounds correctly too.
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  while (i < end && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    mantissa = mantissa * 10 + (c - 48);
    digits++;
    i++;
  }
  if (i < end && c === 46) { // .
    i++;
    while (i < end && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      fraction++;
      i++;
    }
  }
  if (digits === 0) return undefined;
  let exponent = 0;
  if (i < end && (c === 101 || c === 69)) { // e E
    i++;
    let negativeExponent = false;
    if (i < end && ((c = s.charCodeAt(i)) === 43 || c === 45)) {
      negativeExponent = c === 45;
      i++;
    }
    const expStart = i;
    while (i < end && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      exponent = exponent * 10 + (c - 48);
      i++;
    }
    if (i === expStart) return undefined;
    if (negativeExponent) exponent = -exponent;
  }
  if (i !== end) return undefined;
  if (digits <= 15) {
    const scale = exponent - fraction;
    let v: number | undefined;
    if (scale === 0) v = mantissa;
    else if (scale > 0 && scale <= 22) v = mantissa * POW10[scale];
    else if (scale < 0 && scale >= -22) v = mantissa / POW10[-scale];
    if (v !== undefined) return negative ? -v : v;
  }
  return finite(Number(s.slice(start, end)));
}

/** Maps the overflow of a finite literal (Go's `ErrRange`) to `undefined`. */
function finite(v: number): number | undefined {
  return v === Infinity || v === -Infinity ? undefined : v;
}

/**
 * A value running exactly over `s[p, end)` (no timestamp), or `undefined`: digits summed on the spot (up to
 * 15, so the sum is exact), anything else by {@linkcode parseGoFloat}. The sample fast paths' value reader.
 */
export function plainValue(s: string, p: number, end: number): number | undefined {
  const start = p;
  let value = 0;
  let c: number;
  while ((c = s.charCodeAt(p)) >= 48 && c <= 57) {
    value = value * 10 + (c - 48);
    p++;
  }
  if (p === end && p !== start && p - start <= 15) return value;
  return parseGoFloat(s, start, end);
}

/**
 * Parses `s[start, end)` as a text-format timestamp: an optional `-` and decimal digits fitting an int64
 * (Go `strconv.ParseInt(s, 10, 64)` without `+`). Returns `undefined` when invalid. Values past 2^53 lose
 * precision in a JS number, which is far beyond any real clock.
 */
export function parseInt64(s: string, start: number, end: number): number | undefined {
  let i = start;
  const negative = i < end && s.charCodeAt(i) === 45;
  if (negative) i++;
  const digits = end - i;
  if (digits === 0 || digits > 19) return undefined;
  let v = 0;
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  if (digits === 19 && s.slice(i, end) > (negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS)) return undefined;
  if (digits > 15) v = Number(s.slice(i, end));
  return negative ? -v : v;
}

/** Quotes a piece of input for an error message, shortened to 40 characters and with escapes visible. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text);
}

/** Counts code points, for the OpenMetrics 128-code-point exemplar label limit. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}
