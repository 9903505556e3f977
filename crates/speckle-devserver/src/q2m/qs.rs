//! The subset of `qs` (Express's "extended" query parser) that reaches
//! query-to-mongo: repeated keys become arrays, `a[b]=c` nests, `a[]=x`
//! appends, `+` is a space, bad percent escapes are kept as they are.

/// A parsed query-string value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Qs {
    Str(String),
    Arr(Vec<Qs>),
    Obj(Vec<(String, Qs)>),
}

/// qs's `parameterLimit`.
const PARAMETER_LIMIT: usize = 1000;
/// qs's `depth`: bracket segments past this are kept as one literal key.
const DEPTH: usize = 5;
/// qs's `arrayLimit`: `a[21]=x` makes an object key, not an array slot.
const ARRAY_LIMIT: usize = 20;

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    // decodeURIComponent throws on a malformed escape; qs then keeps the
    // text unchanged.
    match percent_encoding::percent_decode_str(&plus).decode_utf8() {
        Ok(d) if !has_bad_escape(&plus) => d.into_owned(),
        _ => plus,
    }
}

fn has_bad_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, c)| {
        *c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// Parses a raw query string (without the `?`).
pub(crate) fn parse(raw: &str) -> Vec<(String, Qs)> {
    // First pass: flat keys, repeated keys combined into arrays.
    let mut flat: Vec<(String, Qs)> = Vec::new();
    for part in raw.split('&').take(PARAMETER_LIMIT) {
        if part.is_empty() {
            continue;
        }
        let pos = match part.find("]=") {
            Some(p) => Some(p + 1),
            None => part.find('='),
        };
        let (key, val) = match pos {
            None => (decode(part), String::new()),
            Some(p) => (
                decode(part.get(..p).unwrap_or_default()),
                decode(part.get(p + 1..).unwrap_or_default()),
            ),
        };
        if key.is_empty() {
            continue;
        }
        match flat.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => {
                let prev = std::mem::replace(existing, Qs::Arr(Vec::new()));
                *existing = combine(prev, Qs::Str(val));
            }
            None => flat.push((key, Qs::Str(val))),
        }
    }
    // Second pass: bracket keys build nested values, merged into the result.
    let mut out: Vec<(String, Qs)> = Vec::new();
    for (key, val) in flat {
        let (root, chain) = split_key(&key);
        let value = build(&chain, val);
        match out.iter_mut().find(|(k, _)| *k == root) {
            Some((_, existing)) => {
                let prev = std::mem::replace(existing, Qs::Arr(Vec::new()));
                *existing = merge(prev, value);
            }
            None => out.push((root, value)),
        }
    }
    out
}

fn combine(a: Qs, b: Qs) -> Qs {
    let mut items = match a {
        Qs::Arr(v) => v,
        other => vec![other],
    };
    match b {
        Qs::Arr(v) => items.extend(v),
        other => items.push(other),
    }
    Qs::Arr(items)
}

/// `a[b][]` → ("a", ["[b]", "[]"]).
fn split_key(key: &str) -> (String, Vec<String>) {
    let Some(open) = key.find('[') else {
        return (key.to_string(), Vec::new());
    };
    if open == 0 {
        return (key.to_string(), Vec::new());
    }
    let root = key.get(..open).unwrap_or_default().to_string();
    let mut chain = Vec::new();
    let mut rest = key.get(open..).unwrap_or_default();
    while chain.len() < DEPTH {
        if !rest.starts_with('[') {
            break;
        }
        let Some(close) = rest.find(']') else { break };
        chain.push(rest.get(..=close).unwrap_or_default().to_string());
        rest = rest.get(close + 1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        chain.push(format!("[{rest}]"));
    }
    (root, chain)
}

fn build(chain: &[String], leaf: Qs) -> Qs {
    let mut value = leaf;
    for seg in chain.iter().rev() {
        if seg == "[]" {
            value = match value {
                Qs::Arr(v) => Qs::Arr(v),
                other => Qs::Arr(vec![other]),
            };
            continue;
        }
        let clean = seg
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(seg)
            .to_string();
        let index = clean
            .parse::<usize>()
            .ok()
            .filter(|i| i.to_string() == clean && *i <= ARRAY_LIMIT);
        value = match index {
            // Sparse arrays are compacted by qs, so the index only orders.
            Some(_) => Qs::Arr(vec![value]),
            None => Qs::Obj(vec![(clean, value)]),
        };
    }
    value
}

fn merge(target: Qs, source: Qs) -> Qs {
    match (target, source) {
        (Qs::Arr(mut a), Qs::Arr(b)) => {
            a.extend(b);
            Qs::Arr(a)
        }
        (Qs::Arr(mut a), Qs::Str(s)) => {
            a.push(Qs::Str(s));
            Qs::Arr(a)
        }
        (Qs::Obj(mut o), Qs::Str(s)) => {
            o.push((s, Qs::Str("true".into())));
            Qs::Obj(o)
        }
        (Qs::Obj(mut o), Qs::Obj(b)) => {
            for (k, v) in b {
                match o.iter_mut().find(|(kk, _)| *kk == k) {
                    Some((_, existing)) => {
                        let prev = std::mem::replace(existing, Qs::Arr(Vec::new()));
                        *existing = merge(prev, v);
                    }
                    None => o.push((k, v)),
                }
            }
            Qs::Obj(o)
        }
        (Qs::Arr(a), Qs::Obj(b)) => {
            let as_obj = a
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect();
            merge(Qs::Obj(as_obj), Qs::Obj(b))
        }
        (Qs::Obj(o), Qs::Arr(b)) => {
            let as_obj = b
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect();
            merge(Qs::Obj(o), Qs::Obj(as_obj))
        }
        (t @ Qs::Str(_), s) => combine(t, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Qs {
        Qs::Str(v.into())
    }

    #[test]
    fn flat_and_repeated_keys() {
        assert_eq!(
            parse("a=1&b=x+y&a=2&c&d=%41"),
            vec![
                ("a".into(), Qs::Arr(vec![s("1"), s("2")])),
                ("b".into(), s("x y")),
                ("c".into(), s("")),
                ("d".into(), s("A")),
            ]
        );
    }

    #[test]
    fn operators_stay_in_keys() {
        assert_eq!(
            parse("k!=v&n>=3&m>2"),
            vec![
                ("k!".into(), s("v")),
                ("n>".into(), s("3")),
                ("m>2".into(), s("")),
            ]
        );
    }

    #[test]
    fn brackets_nest() {
        assert_eq!(
            parse("a[b]=c&a[d]=e&x[]=1&x[]=2"),
            vec![
                (
                    "a".into(),
                    Qs::Obj(vec![("b".into(), s("c")), ("d".into(), s("e"))])
                ),
                ("x".into(), Qs::Arr(vec![s("1"), s("2")])),
            ]
        );
    }

    #[test]
    fn bad_escapes_are_kept() {
        assert_eq!(parse("a=%zz"), vec![("a".into(), s("%zz"))]);
    }
}
