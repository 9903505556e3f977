//! query-to-mongo 0.7.0, PrepareQuery, and the small part of MongoDB's
//! query language they produce (matching, projection, sort, skip, limit).
//!
//! The server hands Express's parsed query (`qs`) to `q2m(req.query)`; the
//! result's `criteria` is a Mongo filter and `options` carry
//! `fields`/`sort`/`skip`/`limit`. Which route honours which part is decided
//! by the routes, as the real server's handlers do.

mod matching;
pub(crate) mod qs;

pub(crate) use matching::{matches, sort_docs, Projection};

use qs::Qs;

use crate::ids::parse_iso;

/// A compiled JavaScript regular expression literal.
#[derive(Debug, Clone)]
pub(crate) struct Rx {
    pub(crate) re: regex_lite::Regex,
    pub(crate) source: String,
    pub(crate) flags: String,
}

impl PartialEq for Rx {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.flags == other.flags
    }
}

/// A typed value of a criterion (what q2m's `typedValue` returns, plus the
/// operator documents it builds).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QVal {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Date(i64),
    Regex(Rx),
    Arr(Vec<QVal>),
    /// A document; when its keys start with `$` it is an operator document.
    Obj(Vec<(String, QVal)>),
}

impl QVal {
    fn op(name: &str, v: QVal) -> QVal {
        QVal::Obj(vec![(name.to_string(), v)])
    }

    pub(crate) fn is_operator_doc(&self) -> bool {
        matches!(self, QVal::Obj(fields) if fields.first().is_some_and(|(k, _)| k.starts_with('$')))
    }
}

/// Include or exclude paths (`fields=a,b` → include, `omit=a,b` → exclude).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fields {
    Include(Vec<String>),
    Exclude(Vec<String>),
}

/// q2m's result.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Query {
    pub(crate) criteria: Vec<(String, QVal)>,
    pub(crate) fields: Option<Fields>,
    pub(crate) sort: Vec<(String, i32)>,
    pub(crate) skip: Option<f64>,
    pub(crate) limit: Option<f64>,
}

/// Why q2m threw (Express answers these with its 500 HTML page).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Q2mError {
    /// `fields`, `omit` or `sort` given more than once: `.split` of an array.
    NotAString(&'static str),
    /// `new RegExp(...)` threw.
    BadRegex(String),
}

impl Q2mError {
    /// The JavaScript error text (`TypeError: fields.split is not a function`).
    pub(crate) fn js_text(&self) -> String {
        match self {
            Q2mError::NotAString(name) => format!("TypeError: {name}.split is not a function"),
            Q2mError::BadRegex(msg) => format!("SyntaxError: Invalid regular expression: {msg}"),
        }
    }
}

const KEYWORDS: [&str; 5] = ["fields", "omit", "sort", "offset", "limit"];

/// `q2m(req.query)` for a raw query string.
pub(crate) fn q2m(raw_query: &str) -> Result<Query, Q2mError> {
    let parsed = qs::parse(raw_query);
    let mut q = Query::default();
    let get = |name: &str| parsed.iter().find(|(k, _)| k == name).map(|(_, v)| v);

    let list = |name: &'static str| -> Result<Option<Vec<String>>, Q2mError> {
        match get(name) {
            None => Ok(None),
            Some(Qs::Str(s)) if s.is_empty() => Ok(None),
            Some(Qs::Str(s)) => Ok(Some(
                s.split(',')
                    .map(|f| f.trim().to_string())
                    .filter(|f| !f.is_empty())
                    .collect(),
            )),
            Some(_) => Err(Q2mError::NotAString(match name {
                "omit" => "omitFields",
                other => other,
            })),
        }
    };
    let fields = list("fields")?;
    let omit = list("omit")?;
    let sort = list("sort")?;
    if let Some(f) = fields {
        q.fields = Some(Fields::Include(f));
    }
    // omit intentionally wins over fields, as in q2m.
    if let Some(o) = omit {
        q.fields = Some(Fields::Exclude(o));
    }
    if let Some(s) = sort {
        q.sort = s
            .into_iter()
            .map(|f| match f.strip_prefix('-') {
                Some(rest) => (rest.to_string(), -1),
                None => (f, 1),
            })
            .collect();
    }
    if let Some(v) = get("offset") {
        let text = qs_text(v);
        if !text.is_empty() {
            q.skip = Some(js_number(&text).unwrap_or(f64::NAN));
        }
    }
    if let Some(v) = get("limit") {
        let n = js_number(&qs_text(v)).unwrap_or(f64::NAN);
        // `if (limit)`: 0 and NaN mean no limit.
        if n != 0.0 && !n.is_nan() {
            q.limit = Some(n);
        }
    }

    for (key, value) in &parsed {
        if KEYWORDS.contains(&key.as_str()) {
            continue;
        }
        if let Some((k, v)) = criterion(key, value)? {
            merge_criterion(&mut q.criteria, k, v);
        }
    }
    Ok(q)
}

/// `String(value)` of a qs value (arrays join with commas).
fn qs_text(v: &Qs) -> String {
    match v {
        Qs::Str(s) => s.clone(),
        Qs::Arr(items) => items.iter().map(qs_text).collect::<Vec<_>>().join(","),
        Qs::Obj(_) => "[object Object]".into(),
    }
}

/// `hash[key] = Object.assign(hash[key], value)` for a repeated key.
fn merge_criterion(crit: &mut Vec<(String, QVal)>, key: String, value: QVal) {
    match crit.iter_mut().find(|(k, _)| *k == key) {
        None => crit.push((key, value)),
        Some((_, existing)) => {
            if let (QVal::Obj(a), QVal::Obj(b)) = (&mut *existing, value) {
                for (k, v) in b {
                    match a.iter_mut().find(|(kk, _)| *kk == k) {
                        Some((_, slot)) => *slot = v,
                        None => a.push((k, v)),
                    }
                }
            }
        }
    }
}

fn criterion(key: &str, value: &Qs) -> Result<Option<(String, QVal)>, Q2mError> {
    if let Qs::Obj(fields) = value {
        // A nested object (`a[b]=c`) becomes a nested criteria document.
        let mut inner = Vec::new();
        for (k, v) in fields {
            if let Some((k, v)) = criterion(k, v)? {
                merge_criterion(&mut inner, k, v);
            }
        }
        return Ok(Some((key.to_string(), QVal::Obj(inner))));
    }
    comparison(key, &qs_text(value))
}

/// q2m's `comparisonToMongo`.
fn comparison(key: &str, value: &str) -> Result<Option<(String, QVal)>, Q2mError> {
    let join = if value.is_empty() {
        key.to_string()
    } else {
        format!("{key}={value}")
    };
    // /^(!?[^><!=:]+)(?:=?([><]=?|!?=|:.+=)(.+))?$/
    let Some(parts) = split_comparison(&join) else {
        return Ok(None);
    };
    let (mut key, op, rest) = parts;
    let value = match op {
        None => {
            if let Some(k) = key.strip_prefix('!') {
                key = k.to_string();
                QVal::op("$exists", QVal::Bool(false))
            } else {
                QVal::op("$exists", QVal::Bool(true))
            }
        }
        Some(op) if op == "=" && rest == "!" => QVal::op("$exists", QVal::Bool(false)),
        Some(op) if op == "=" || op == "!=" => {
            let negate = op == "!=" || rest.starts_with('!');
            let values = typed_values(&rest)?;
            if values.len() > 1 {
                QVal::op(if negate { "$nin" } else { "$in" }, QVal::Arr(values))
            } else {
                let v = values
                    .into_iter()
                    .next()
                    .unwrap_or(QVal::Str(String::new()));
                match (negate, v) {
                    (true, QVal::Regex(r)) => QVal::op("$not", QVal::Regex(r)),
                    (true, v) => QVal::op("$ne", v),
                    (false, v) => v,
                }
            }
        }
        Some(op) if op.starts_with(':') => {
            let name = format!("${}", op.trim_start_matches(':').trim_end_matches('='));
            let after = join.split('=').nth(1).unwrap_or_default();
            let mut items = after
                .split(',')
                .map(typed_value)
                .collect::<Result<Vec<_>, _>>()?;
            let v = if items.len() == 1 {
                items.pop().unwrap_or(QVal::Null)
            } else {
                QVal::Arr(items)
            };
            QVal::op(&name, v)
        }
        Some(op) => {
            let v = typed_value(&rest)?;
            let name = match op.as_str() {
                ">" => "$gt",
                ">=" => "$gte",
                "<" => "$lt",
                _ => "$lte",
            };
            QVal::op(name, v)
        }
    };
    Ok(Some((key, value)))
}

/// Splits `key[op value]` like q2m's regex; `None` when it does not match.
fn split_comparison(join: &str) -> Option<(String, Option<String>, String)> {
    let b = join.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'!'));
    while i < b.len() && !matches!(b.get(i), Some(b'>' | b'<' | b'!' | b'=' | b':')) {
        i += 1;
    }
    let key_end = i;
    let key = join.get(..key_end)?;
    if key.trim_start_matches('!').is_empty() {
        return None;
    }
    if i == b.len() {
        return Some((key.to_string(), None, String::new()));
    }
    let rest = join.get(i..)?;
    let (op, tail) = split_operator(rest)?;
    Some((key.to_string(), Some(op), tail))
}

/// `=?([><]=?|!?=|:.+=)(.+)` at the start of `rest`.
fn split_operator(rest: &str) -> Option<(String, String)> {
    let r2 = rest
        .strip_prefix('=')
        .filter(|x| x.starts_with(['>', '<']))
        .unwrap_or(rest);
    for op in [">=", "<=", ">", "<", "!=", "="] {
        if let Some(tail) = r2.strip_prefix(op) {
            if !tail.is_empty() {
                return Some((op.to_string(), tail.to_string()));
            }
        }
    }
    if rest.starts_with(':') {
        // `:.+=` is greedy: the last '=' that still leaves a value.
        let pos = rest
            .char_indices()
            .filter(|(pos, ch)| *ch == '=' && *pos > 1 && pos + 1 < rest.len())
            .map(|(pos, _)| pos)
            .next_back()?;
        return Some((
            rest.get(..=pos)?.to_string(),
            rest.get(pos + 1..)?.to_string(),
        ));
    }
    None
}

/// q2m's `typedValues`: comma split that keeps quoted pieces whole.
fn typed_values(s: &str) -> Result<Vec<QVal>, Q2mError> {
    let mut pieces = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let first = rest.chars().next().unwrap_or(',');
        if first == '"' || first == '\'' {
            if let Some(end) = rest.get(1..).and_then(|r| r.find(first)) {
                let piece = rest.get(..end + 2).unwrap_or(rest);
                pieces.push(piece.to_string());
                rest = rest.get(end + 2..).unwrap_or_default();
                continue;
            }
        }
        if first == ',' {
            rest = rest.get(1..).unwrap_or_default();
            continue;
        }
        let end = rest.find(',').unwrap_or(rest.len());
        pieces.push(rest.get(..end).unwrap_or_default().to_string());
        rest = rest.get(end..).unwrap_or_default();
    }
    pieces.iter().map(|p| typed_value(p)).collect()
}

/// q2m's `typedValue`.
pub(crate) fn typed_value(value: &str) -> Result<QVal, Q2mError> {
    let value = value.strip_prefix('!').unwrap_or(value);
    if let Some(inner) = value.strip_prefix('/') {
        let (body, flags) = if let Some(b) = inner.strip_suffix("/i") {
            (Some(b), "i")
        } else {
            (inner.strip_suffix('/'), "")
        };
        if let Some(body) = body {
            return regex(body, flags).map(QVal::Regex);
        }
    }
    if let Some(quoted) = first_quoted(value) {
        return Ok(QVal::Str(quoted));
    }
    match value {
        "true" => return Ok(QVal::Bool(true)),
        "false" => return Ok(QVal::Bool(false)),
        _ => {}
    }
    if value.len() != 4 && value.get(4..5) == Some("-") {
        if let Some(ms) = parse_iso(value) {
            return Ok(QVal::Date(ms));
        }
    }
    if let Some(n) = js_number(value) {
        return Ok(QVal::Num(n));
    }
    Ok(QVal::Str(value.to_string()))
}

/// `/(["'])(?:\\\1|.)*?\1/`: the first quoted piece anywhere in the value.
fn first_quoted(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    for (start, q) in chars.iter().enumerate() {
        if *q != '"' && *q != '\'' {
            continue;
        }
        let mut i = start + 1;
        while i < chars.len() {
            match chars.get(i) {
                Some('\\') if chars.get(i + 1) == Some(q) => i += 2,
                Some(c) if c == q => return Some(chars.get(start + 1..i)?.iter().collect()),
                Some('\n' | '\r') => break,
                _ => i += 1,
            }
        }
    }
    None
}

fn regex(body: &str, flags: &str) -> Result<Rx, Q2mError> {
    let pattern = if flags == "i" {
        format!("(?i){body}")
    } else {
        body.to_string()
    };
    regex_lite::Regex::new(&pattern)
        .map(|re| Rx {
            re,
            source: body.to_string(),
            flags: flags.to_string(),
        })
        .map_err(|e| Q2mError::BadRegex(format!("/{body}/: {e}")))
}

/// JavaScript's `Number(string)`: `None` for NaN.
pub(crate) fn js_number(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return Some(0.0);
    }
    let radix = |digits: &str, r: u32| -> Option<f64> {
        if digits.is_empty() {
            return None;
        }
        let mut v = 0f64;
        for c in digits.chars() {
            v = v * f64::from(r) + f64::from(c.to_digit(r)?);
        }
        Some(v)
    };
    let lower = t.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        return radix(h, 16);
    }
    if let Some(o) = lower.strip_prefix("0o") {
        return radix(o, 8);
    }
    if let Some(b) = lower.strip_prefix("0b") {
        return radix(b, 2);
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "Infinity" {
        return Some(if t.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    // Rust accepts "inf"/"nan"/"infinity" which JavaScript does not.
    if !unsigned
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        || !unsigned.bytes().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    t.parse::<f64>().ok()
}

/// What PrepareQuery does to `fields`/`omit` (GET stream, GET object and
/// getbulk): the keys permission checks need always come back.
pub(crate) fn prepare(mut q: Query) -> Query {
    const NEEDED: [&str; 5] = ["type", "private", "canRead", "canWrite", "owner"];
    match &mut q.fields {
        Some(Fields::Include(f)) => {
            for k in NEEDED {
                if !f.iter().any(|x| x == k) {
                    f.push(k.to_string());
                }
            }
        }
        Some(Fields::Exclude(f)) => f.retain(|x| !NEEDED.contains(&x.as_str())),
        None => {}
    }
    q
}

impl Query {
    /// The projection for these fields.
    pub(crate) fn projection(&self) -> Option<Projection> {
        self.fields.as_ref().map(Projection::new)
    }

    /// Applies skip then limit to an already sorted list.
    pub(crate) fn page<T>(&self, items: Vec<T>) -> Vec<T> {
        let skip = match self.skip {
            Some(s) if s.is_finite() && s > 0.0 => s as usize,
            _ => 0,
        };
        let limit = match self.limit {
            Some(l) if l.is_finite() => l.abs() as usize,
            _ => usize::MAX,
        };
        let limit = if limit == 0 { usize::MAX } else { limit };
        items.into_iter().skip(skip).take(limit).collect()
    }

    /// A negative skip makes MongoDB refuse the query.
    pub(crate) fn bad_skip(&self) -> bool {
        self.skip.is_some_and(|s| s < 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crit(raw: &str) -> Vec<(String, QVal)> {
        q2m(raw).unwrap().criteria
    }
    fn op(name: &str, v: QVal) -> QVal {
        QVal::op(name, v)
    }
    fn s(v: &str) -> QVal {
        QVal::Str(v.into())
    }

    #[test]
    fn fields_omit_sort_offset_limit() {
        let q = q2m("fields=a,b&sort=-updatedAt,name&offset=5&limit=10").unwrap();
        assert_eq!(
            q.fields,
            Some(Fields::Include(vec!["a".into(), "b".into()]))
        );
        assert_eq!(q.sort, vec![("updatedAt".into(), -1), ("name".into(), 1)]);
        assert_eq!(q.skip, Some(5.0));
        assert_eq!(q.limit, Some(10.0));
        assert!(q.criteria.is_empty());
        let q = q2m("fields=a&omit=b,c").unwrap();
        assert_eq!(
            q.fields,
            Some(Fields::Exclude(vec!["b".into(), "c".into()]))
        );
        // A raw `+name` decodes to a space and is trimmed.
        assert_eq!(q2m("sort=+name").unwrap().sort, vec![("name".into(), 1)]);
        assert_eq!(q2m("sort=%2Bname").unwrap().sort, vec![("+name".into(), 1)]);
    }

    #[test]
    fn zero_or_garbage_limit_means_none() {
        assert_eq!(q2m("limit=0").unwrap().limit, None);
        assert_eq!(q2m("limit=abc").unwrap().limit, None);
    }

    #[test]
    fn repeated_option_keys_throw() {
        assert_eq!(
            q2m("fields=a&fields=b"),
            Err(Q2mError::NotAString("fields"))
        );
        assert_eq!(
            q2m("omit=a&omit=b"),
            Err(Q2mError::NotAString("omitFields"))
        );
        assert_eq!(q2m("sort=a&sort=b"), Err(Q2mError::NotAString("sort")));
        assert_eq!(
            Q2mError::NotAString("fields").js_text(),
            "TypeError: fields.split is not a function"
        );
    }

    #[test]
    fn typed_equality() {
        assert_eq!(crit("a=1"), vec![("a".into(), QVal::Num(1.0))]);
        assert_eq!(crit("a=true"), vec![("a".into(), QVal::Bool(true))]);
        assert_eq!(crit("a=x"), vec![("a".into(), s("x"))]);
        assert_eq!(
            crit("hash=1234e5"),
            vec![("hash".into(), QVal::Num(123_400_000.0))]
        );
        assert_eq!(crit("hash=\"12345\""), vec![("hash".into(), s("12345"))]);
        assert_eq!(crit("a='true'"), vec![("a".into(), s("true"))]);
        assert_eq!(
            crit("updatedAt=2019-01-01"),
            vec![("updatedAt".into(), QVal::Date(1_546_300_800_000))]
        );
        // Four characters never become a date.
        assert_eq!(crit("a=2019"), vec![("a".into(), QVal::Num(2019.0))]);
    }

    #[test]
    fn in_and_nin() {
        let want = vec![("a".into(), op("$in", QVal::Arr(vec![s("x"), s("y")])))];
        assert_eq!(crit("a=x,y"), want);
        assert_eq!(crit("a=x&a=y"), want);
        assert_eq!(
            crit("a!=x,y"),
            vec![("a".into(), op("$nin", QVal::Arr(vec![s("x"), s("y")])))]
        );
        assert_eq!(
            crit("a=\"x,y\",z"),
            vec![("a".into(), op("$in", QVal::Arr(vec![s("x,y"), s("z")])))]
        );
    }

    #[test]
    fn comparisons() {
        assert_eq!(crit("a!=x"), vec![("a".into(), op("$ne", s("x")))]);
        assert_eq!(crit("a>2"), vec![("a".into(), op("$gt", QVal::Num(2.0)))]);
        assert_eq!(crit("a>=2"), vec![("a".into(), op("$gte", QVal::Num(2.0)))]);
        assert_eq!(crit("a<2"), vec![("a".into(), op("$lt", QVal::Num(2.0)))]);
        assert_eq!(crit("a<=2"), vec![("a".into(), op("$lte", QVal::Num(2.0)))]);
        assert_eq!(
            crit("a>1&a<5"),
            vec![(
                "a".into(),
                QVal::Obj(vec![
                    ("$gt".into(), QVal::Num(1.0)),
                    ("$lt".into(), QVal::Num(5.0))
                ])
            )]
        );
    }

    #[test]
    fn exists_size_type_all() {
        assert_eq!(
            crit("a"),
            vec![("a".into(), op("$exists", QVal::Bool(true)))]
        );
        assert_eq!(
            crit("!a"),
            vec![("a".into(), op("$exists", QVal::Bool(false)))]
        );
        assert_eq!(
            crit("a:size=2"),
            vec![("a".into(), op("$size", QVal::Num(2.0)))]
        );
        assert_eq!(
            crit("a:type=string"),
            vec![("a".into(), op("$type", s("string")))]
        );
        assert_eq!(
            crit("a:all=x,y"),
            vec![("a".into(), op("$all", QVal::Arr(vec![s("x"), s("y")])))]
        );
    }

    #[test]
    fn regexes_and_paths() {
        match crit("name=/^pro/i").first() {
            Some((k, QVal::Regex(r))) => {
                assert_eq!(k, "name");
                assert!(r.re.is_match("Probe"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            crit("properties.tag=a"),
            vec![("properties.tag".into(), s("a"))]
        );
        assert_eq!(
            crit("a[b]=c"),
            vec![("a".into(), QVal::Obj(vec![("b".into(), s("c"))]))]
        );
        assert!(matches!(q2m("a=/(/"), Err(Q2mError::BadRegex(_))));
    }

    #[test]
    fn prepare_query_adds_and_protects_keys() {
        let q = prepare(q2m("fields=name").unwrap());
        assert_eq!(
            q.fields,
            Some(Fields::Include(
                ["name", "type", "private", "canRead", "canWrite", "owner"]
                    .map(String::from)
                    .to_vec()
            ))
        );
        let q = prepare(q2m("omit=layers,owner,private").unwrap());
        assert_eq!(q.fields, Some(Fields::Exclude(vec!["layers".into()])));
    }

    #[test]
    fn js_number_semantics() {
        assert_eq!(js_number("0x1A"), Some(26.0));
        assert_eq!(js_number(" 12 "), Some(12.0));
        assert_eq!(js_number("1e3"), Some(1000.0));
        assert_eq!(js_number("abc"), None);
        assert_eq!(js_number("inf"), None);
        assert_eq!(js_number("-Infinity"), Some(f64::NEG_INFINITY));
    }
}
