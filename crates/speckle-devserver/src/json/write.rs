//! `JSON.stringify` output: compact, JavaScript number formatting.

use std::fmt::Write as _;

use super::Json;

pub(super) fn value(out: &mut String, v: &Json) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Num(n) => push_number(out, *n),
        Json::Str(s) => string(out, s),
        Json::Arr(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value(out, item);
            }
            out.push(']');
        }
        Json::Obj(m) => object(out, m),
    }
}

pub(super) fn object(out: &mut String, m: &super::Map) {
    out.push('{');
    for (i, (k, item)) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, k);
        out.push(':');
        value(out, item);
    }
    out.push('}');
}

/// A number as `Number.prototype.toString` prints it.
pub(super) fn number(n: f64) -> String {
    let mut s = String::new();
    push_number(&mut s, n);
    s
}

fn push_number(out: &mut String, n: f64) {
    if !n.is_finite() {
        // JSON.stringify(NaN) and JSON.stringify(Infinity) are "null".
        out.push_str("null");
        return;
    }
    if n == 0.0 {
        // Covers -0, which JavaScript prints as "0".
        out.push('0');
        return;
    }
    let abs = n.abs();
    if abs.fract() == 0.0 && abs < 9_007_199_254_740_992.0 {
        // Exact integers: the common case for mesh indices and counts.
        let _ = write!(out, "{}", n as i64);
        return;
    }
    if (1e-6..1e21).contains(&abs) {
        // Rust's Display prints the shortest round-trip digits without an
        // exponent, which is what JavaScript does in this range.
        let _ = write!(out, "{n}");
        return;
    }
    // Exponent form: Rust gives "1.5e-7" / "1e300", JavaScript "1.5e-7" /
    // "1e+300".
    let s = format!("{n:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => {
            out.push_str(mantissa);
            out.push_str("e+");
            out.push_str(exp);
        }
        _ => out.push_str(&s),
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        match esc {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_javascript() {
        for (n, want) in [
            (0.1, "0.1"),
            (1e300, "1e+300"),
            (-0.0, "0"),
            (3.0, "3"),
            (1099511627776.0, "1099511627776"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (-2.5, "-2.5"),
            (0.30000000000000004, "0.30000000000000004"),
            (123456789012345680000.0, "123456789012345680000"),
        ] {
            assert_eq!(number(n), want, "{n}");
        }
    }

    #[test]
    fn strings_escape_like_javascript() {
        let mut s = String::new();
        string(&mut s, "a\"b\\c\n\u{1}é/\u{2028}");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001é/\u{2028}\"");
    }
}
