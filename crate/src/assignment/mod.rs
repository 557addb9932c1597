//! Course assignments as one file (`NAME.idlab.zip`): an `assignment.json`
//! manifest, Markdown instructions, specs and the data they need, each listed
//! with its sha256. The same code opens, checks, reports and grades in the
//! page (through `wasm`) and in `idlab assignment` (natively), so a student's
//! tab and a TA's terminal agree on every verdict.

/// Which answers are right: JSON-pointer lookups into results and the tolerance check.
pub mod answer;
/// A first draft of an assignment from a spec and its result (author mode).
pub mod draft;
/// The manifest's types and the format version.
pub mod format;
/// Re-checking hand-in reports against the author's file: one CSV row per report.
pub mod grade;
/// Markdown the page may render: no raw HTML, links only to http, https and mailto.
pub mod markdown;
/// Reading a `.idlab.zip` and refusing anything not exactly as listed.
pub mod open;
/// Writing a `.idlab.zip` from a manifest and its files.
pub mod pack;
/// The hand-in report (JSON and HTML) with its content hash.
pub mod report;

pub use answer::{check_answer, Check};
pub use draft::draft;
pub use format::{Manifest, Step, FORMAT_VERSION};
pub use grade::grade;
pub use open::{open, Opened};
pub use pack::pack;
pub use report::{report, verify_report};

use sha2::Digest;

/// Lower-case hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Canonical JSON: object keys sorted, no whitespace, every number written as
/// JavaScript's `JSON.stringify` writes it (so `1.0` and `1` are one number:
/// a report that went through the page's JSON hashes the same). Written by
/// hand so that it does not depend on serde_json's `preserve_order`.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        Value::Number(n) => out.push_str(&js_number(n.as_f64().unwrap_or(f64::NAN))),
        other => out.push_str(&other.to_string()),
    }
}

/// A number as ECMAScript's Number::toString writes it: the shortest digits
/// that read back to the same f64 (Rust's `{:e}`), placed by the JS rules.
pub fn js_number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return "null".into();
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().expect("an integer exponent") + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let rest = if k > 1 { format!(".{}", &digits[1..]) } else { String::new() };
        format!("{}{rest}e{sign}{}", &digits[..1], e.abs())
    };
    if x < 0.0 { format!("-{body}") } else { body }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_as_javascript_writes_them() {
        let cases = [
            (1.0, "1"), (-0.0, "0"), (0.5, "0.5"), (123.456, "123.456"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"), (0.000001, "0.000001"), (1e-7, "1e-7"), (-2.5e25, "-2.5e+25"), (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (x, s) in cases {
            assert_eq!(super::js_number(x), s, "{x}");
        }
    }
}
