//! MongoDB semantics for the filters, projections and sorts q2m produces,
//! evaluated over stored documents.

use std::cmp::Ordering;

use super::{Fields, QVal};
use crate::ids::parse_iso;
use crate::json::{Json, Map};

/// Whether `doc` satisfies every criterion.
pub(crate) fn matches(doc: &Json, criteria: &[(String, QVal)]) -> bool {
    criteria
        .iter()
        .all(|(path, cond)| matches_path(doc, path, cond))
}

fn matches_path(doc: &Json, path: &str, cond: &QVal) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    let mut found = Vec::new();
    resolve(doc, &parts, &mut found);
    if cond.is_operator_doc() {
        if let QVal::Obj(ops) = cond {
            return ops.iter().all(|(op, arg)| operator(op, arg, &found));
        }
    }
    eq_any(&found, cond)
}

/// Every value reachable at `parts`, descending into arrays like MongoDB.
fn resolve<'a>(v: &'a Json, parts: &[&str], out: &mut Vec<&'a Json>) {
    let Some((first, rest)) = parts.split_first() else {
        out.push(v);
        return;
    };
    match v {
        Json::Obj(m) => {
            if let Some(child) = m.get(*first) {
                resolve(child, rest, out);
            }
        }
        Json::Arr(items) => {
            if let Ok(i) = first.parse::<usize>() {
                if let Some(child) = items.get(i) {
                    resolve(child, rest, out);
                }
            }
            for item in items {
                if matches!(item, Json::Obj(_)) {
                    resolve(item, parts, out);
                }
            }
        }
        _ => {}
    }
}

/// `{path: value}` equality: a found value equals it, or is an array with
/// an element that does; a missing field equals null.
fn eq_any(found: &[&Json], cond: &QVal) -> bool {
    if found.is_empty() {
        return matches!(cond, QVal::Null);
    }
    found.iter().any(|v| {
        eq(v, cond)
            || match v {
                Json::Arr(items) => items.iter().any(|i| eq(i, cond)),
                _ => false,
            }
    })
}

fn eq(v: &Json, cond: &QVal) -> bool {
    match (v, cond) {
        (_, QVal::Regex(r)) => matches!(v, Json::Str(s) if r.re.is_match(s)),
        (Json::Null, QVal::Null) => true,
        (Json::Bool(a), QVal::Bool(b)) => a == b,
        (Json::Num(a), QVal::Num(b)) => a == b,
        (Json::Str(a), QVal::Str(b)) => a == b,
        (Json::Str(a), QVal::Date(ms)) => parse_iso(a) == Some(*ms),
        (Json::Arr(a), QVal::Arr(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| eq(x, y))
        }
        (Json::Obj(a), QVal::Obj(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && eq(va, vb))
        }
        _ => false,
    }
}

fn list(arg: &QVal) -> Vec<QVal> {
    match arg {
        QVal::Arr(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn operator(op: &str, arg: &QVal, found: &[&Json]) -> bool {
    match op {
        "$exists" => {
            let want = !matches!(arg, QVal::Bool(false) | QVal::Num(0.0) | QVal::Null);
            found.is_empty() != want
        }
        "$eq" => eq_any(found, arg),
        "$ne" => !eq_any(found, arg),
        "$in" => list(arg).iter().any(|c| eq_any(found, c)),
        "$nin" => !list(arg).iter().any(|c| eq_any(found, c)),
        "$not" => !match arg {
            QVal::Regex(_) => eq_any(found, arg),
            QVal::Obj(ops) => ops.iter().all(|(o, a)| operator(o, a, found)),
            other => eq_any(found, other),
        },
        "$gt" | "$gte" | "$lt" | "$lte" => found.iter().any(|v| {
            let check = |x: &Json| {
                compare_typed(x, arg).is_some_and(|o| match op {
                    "$gt" => o == Ordering::Greater,
                    "$gte" => o != Ordering::Less,
                    "$lt" => o == Ordering::Less,
                    _ => o != Ordering::Greater,
                })
            };
            check(v)
                || match v {
                    Json::Arr(items) => items.iter().any(check),
                    _ => false,
                }
        }),
        "$size" => match arg {
            QVal::Num(n) => found
                .iter()
                .any(|v| matches!(v, Json::Arr(a) if a.len() as f64 == *n)),
            _ => false,
        },
        "$all" => {
            let wanted = list(arg);
            found.iter().any(|v| match v {
                Json::Arr(items) => wanted
                    .iter()
                    .all(|c| items.iter().any(|i| eq(i, c)) || eq(v, c)),
                other => wanted.iter().all(|c| eq(other, c)),
            })
        }
        "$type" => list(arg).iter().any(|t| {
            found.iter().any(|v| {
                type_matches(v, t)
                    || match v {
                        Json::Arr(items) => items.iter().any(|i| type_matches(i, t)),
                        _ => false,
                    }
            })
        }),
        _ => false,
    }
}

fn type_matches(v: &Json, t: &QVal) -> bool {
    let name = match t {
        QVal::Num(n) => match *n as i64 {
            1 | 16 | 18 | 19 => "number",
            2 => "string",
            3 => "object",
            4 => "array",
            7 => "objectId",
            8 => "bool",
            9 => "date",
            10 => "null",
            _ => "",
        },
        QVal::Str(s) => s.as_str(),
        _ => "",
    };
    match (name, v) {
        ("number" | "double" | "int" | "long" | "decimal", Json::Num(_)) => true,
        ("string", Json::Str(_)) => true,
        ("object", Json::Obj(_)) => true,
        ("array", Json::Arr(_)) => true,
        ("bool", Json::Bool(_)) => true,
        ("null", Json::Null) => true,
        // Ids and timestamps are stored as text; their shape tells them apart.
        ("objectId", Json::Str(s)) => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        ("date", Json::Str(s)) => s.len() == 24 && s.ends_with('Z') && parse_iso(s).is_some(),
        _ => false,
    }
}

/// Orders a stored value against a criterion value of the same BSON kind;
/// `None` when the kinds differ (MongoDB's comparison operators never
/// cross types).
fn compare_typed(v: &Json, c: &QVal) -> Option<Ordering> {
    match (v, c) {
        (Json::Num(a), QVal::Num(b)) => a.partial_cmp(b),
        (Json::Str(a), QVal::Str(b)) => Some(a.as_str().cmp(b.as_str())),
        (Json::Str(a), QVal::Date(b)) => parse_iso(a).map(|ms| ms.cmp(b)),
        (Json::Bool(a), QVal::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// BSON's order between kinds: null < numbers < strings < objects <
/// arrays < booleans.
fn kind_rank(v: Option<&Json>) -> u8 {
    match v {
        None | Some(Json::Null) => 1,
        Some(Json::Num(_)) => 2,
        Some(Json::Str(_)) => 3,
        Some(Json::Obj(_)) => 4,
        Some(Json::Arr(_)) => 5,
        Some(Json::Bool(_)) => 6,
    }
}

fn compare_values(a: Option<&Json>, b: Option<&Json>) -> Ordering {
    let (ra, rb) = (kind_rank(a), kind_rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Some(Json::Num(x)), Some(Json::Num(y))) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Some(Json::Str(x)), Some(Json::Str(y))) => x.cmp(y),
        (Some(Json::Bool(x)), Some(Json::Bool(y))) => x.cmp(y),
        (Some(Json::Arr(x)), Some(Json::Arr(y))) => {
            for (p, q) in x.iter().zip(y) {
                let o = compare_values(Some(p), Some(q));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Some(x), Some(y)) => x.to_text().cmp(&y.to_text()),
        _ => Ordering::Equal,
    }
}

fn first_at<'a>(doc: &'a Json, path: &str) -> Option<&'a Json> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut found = Vec::new();
    resolve(doc, &parts, &mut found);
    found.into_iter().next()
}

/// Stable sort by the `sort` keys (1 ascending, -1 descending).
pub(crate) fn sort_docs(docs: &mut [Json], sort: &[(String, i32)]) {
    if sort.is_empty() {
        return;
    }
    docs.sort_by(|a, b| {
        for (path, dir) in sort {
            let o = compare_values(first_at(a, path), first_at(b, path));
            let o = if *dir < 0 { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

/// A MongoDB projection: a tree of included or excluded paths.
#[derive(Debug, Clone)]
pub(crate) struct Projection {
    include: bool,
    tree: Node,
    keep_id: bool,
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// `(key, None)` selects the whole value; `Some(child)` a sub-path.
    children: Vec<(String, Option<Node>)>,
}

impl Node {
    fn add(&mut self, parts: &[&str]) {
        let Some((first, rest)) = parts.split_first() else {
            return;
        };
        let pos = self.children.iter().position(|(k, _)| k == first);
        if rest.is_empty() {
            match pos {
                Some(p) => {
                    if let Some(slot) = self.children.get_mut(p) {
                        slot.1 = None;
                    }
                }
                None => self.children.push((first.to_string(), None)),
            }
            return;
        }
        match pos {
            Some(p) => {
                if let Some((_, Some(child))) = self.children.get_mut(p) {
                    child.add(rest);
                }
            }
            None => {
                let mut child = Node::default();
                child.add(rest);
                self.children.push((first.to_string(), Some(child)));
            }
        }
    }

    fn get(&self, key: &str) -> Option<&Option<Node>> {
        self.children.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }
}

impl Projection {
    pub(crate) fn new(fields: &Fields) -> Projection {
        let (include, paths) = match fields {
            Fields::Include(p) => (true, p),
            Fields::Exclude(p) => (false, p),
        };
        let mut tree = Node::default();
        let mut keep_id = true;
        for p in paths {
            if p == "_id" && !include {
                keep_id = false;
            }
            let parts: Vec<&str> = p.split('.').collect();
            tree.add(&parts);
        }
        Projection {
            include,
            tree,
            keep_id,
        }
    }

    /// Applies the projection, keeping the document's key order.
    pub(crate) fn apply(&self, doc: &Map) -> Map {
        let mut out = if self.include {
            include(doc, &self.tree)
        } else {
            exclude(doc, &self.tree)
        };
        if self.include && self.keep_id {
            if let Some(id) = doc.get("_id") {
                if !out.contains_key("_id") {
                    out.shift_insert(0, "_id".into(), id.clone());
                }
            }
        }
        if !self.keep_id {
            out.shift_remove("_id");
        }
        out
    }
}

fn include(doc: &Map, node: &Node) -> Map {
    let mut out = Map::new();
    for (k, v) in doc {
        match node.get(k) {
            None => {}
            Some(None) => {
                out.insert(k.clone(), v.clone());
            }
            Some(Some(child)) => match v {
                Json::Obj(m) => {
                    out.insert(k.clone(), Json::Obj(include(m, child)));
                }
                Json::Arr(items) => {
                    let kept = items
                        .iter()
                        .filter_map(|i| match i {
                            Json::Obj(m) => Some(Json::Obj(include(m, child))),
                            _ => None,
                        })
                        .collect();
                    out.insert(k.clone(), Json::Arr(kept));
                }
                _ => {}
            },
        }
    }
    out
}

fn exclude(doc: &Map, node: &Node) -> Map {
    let mut out = Map::new();
    for (k, v) in doc {
        match node.get(k) {
            None => {
                out.insert(k.clone(), v.clone());
            }
            Some(None) => {}
            Some(Some(child)) => {
                let nv = match v {
                    Json::Obj(m) => Json::Obj(exclude(m, child)),
                    Json::Arr(items) => Json::Arr(
                        items
                            .iter()
                            .map(|i| match i {
                                Json::Obj(m) => Json::Obj(exclude(m, child)),
                                other => other.clone(),
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                };
                out.insert(k.clone(), nv);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::q2m;
    use super::*;
    use crate::json::parse;

    fn doc(s: &str) -> Json {
        parse(s.as_bytes()).unwrap()
    }
    fn hit(d: &str, q: &str) -> bool {
        matches(&doc(d), &q2m(q).unwrap().criteria)
    }

    #[test]
    fn equality_and_arrays() {
        let d = r#"{"type":"Point","tags":["a","b"],"n":3,"p":{"tag":"x"},"l":[{"g":1},{"g":2}]}"#;
        assert!(hit(d, "type=Point"));
        assert!(!hit(d, "type=Line"));
        assert!(hit(d, "tags=a"));
        assert!(hit(d, "n=3"));
        assert!(!hit(d, "n=\"3\""));
        assert!(hit(d, "p.tag=x"));
        assert!(hit(d, "l.g=2"));
        assert!(hit(d, "type=Line,Point"));
        assert!(hit(d, "type!=Line"));
        assert!(!hit(d, "type!=Line,Point"));
        assert!(hit(d, "missing!=x"));
    }

    #[test]
    fn ranges_exists_size_all_type_regex() {
        let d = r#"{"n":3,"s":"abc","a":[1,2],"updatedAt":"2020-05-01T00:00:00.000Z","z":null}"#;
        assert!(hit(d, "n>2&n<=3"));
        assert!(!hit(d, "n>3"));
        assert!(hit(d, "s>=abb"));
        assert!(hit(d, "updatedAt>2019-01-01"));
        assert!(!hit(d, "updatedAt<2019-01-01"));
        assert!(hit(d, "n"));
        assert!(hit(d, "z"));
        assert!(hit(d, "!missing"));
        assert!(!hit(d, "!n"));
        assert!(hit(d, "a:size=2"));
        assert!(!hit(d, "a:size=3"));
        assert!(hit(d, "a:all=1,2"));
        assert!(!hit(d, "a:all=1,3"));
        assert!(hit(d, "s:type=string"));
        assert!(hit(d, "a:type=4"));
        assert!(hit(d, "s=/^AB/i"));
        assert!(!hit(d, "s=/^AB/"));
        assert!(hit(d, "s!=/^x/"));
    }

    #[test]
    fn sorting_orders_by_kind_then_value() {
        let mut docs = vec![
            doc(r#"{"n":2}"#),
            doc(r#"{"n":"a"}"#),
            doc(r#"{}"#),
            doc(r#"{"n":1}"#),
        ];
        sort_docs(&mut docs, &[("n".into(), 1)]);
        let texts: Vec<String> = docs.iter().map(Json::to_text).collect();
        assert_eq!(texts, [r#"{}"#, r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":"a"}"#]);
        sort_docs(&mut docs, &[("n".into(), -1)]);
        assert_eq!(
            docs.first().map(Json::to_text).as_deref(),
            Some(r#"{"n":"a"}"#)
        );
    }

    #[test]
    fn projections_keep_document_order() {
        let d = doc(r#"{"_id":"1","a":1,"b":{"c":2,"d":3},"e":[{"c":1,"x":2},5]}"#);
        let m = d.as_obj().unwrap();
        let p = Projection::new(&Fields::Include(vec!["e.c".into(), "a".into()]));
        assert_eq!(
            Json::Obj(p.apply(m)).to_text(),
            r#"{"_id":"1","a":1,"e":[{"c":1}]}"#
        );
        let p = Projection::new(&Fields::Exclude(vec!["b.c".into(), "_id".into()]));
        assert_eq!(
            Json::Obj(p.apply(m)).to_text(),
            r#"{"a":1,"b":{"d":3},"e":[{"c":1,"x":2},5]}"#
        );
    }
}
