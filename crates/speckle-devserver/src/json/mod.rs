//! An ordered JSON value with JavaScript semantics.
//!
//! The real server is Node.js: documents keep the key order they were sent
//! in, numbers are IEEE doubles printed the way `JSON.stringify` prints them,
//! and the server's object hash is `md5(JSON.stringify(obj))`. serde_json's
//! `Value` sorts keys (its `preserve_order` feature would change every other
//! crate of the workspace) and its default float parser may be one ulp off,
//! so this crate keeps its own small value type.

mod parse;
mod write;

pub(crate) use parse::parse;

use indexmap::IndexMap;

/// An object: keys in JavaScript property order.
pub(crate) type Map = IndexMap<String, Json>;

/// A JSON value as JavaScript sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Map),
}

impl Json {
    /// An empty object.
    pub(crate) fn obj() -> Json {
        Json::Obj(Map::new())
    }

    pub(crate) fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_obj(&self) -> Option<&Map> {
        match self {
            Json::Obj(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn as_arr(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// `obj[key]` for objects, `None` otherwise.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        self.as_obj().and_then(|m| m.get(key))
    }

    /// JavaScript truthiness.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Json::Null => false,
            Json::Bool(b) => *b,
            Json::Num(n) => *n != 0.0 && !n.is_nan(),
            Json::Str(s) => !s.is_empty(),
            Json::Arr(_) | Json::Obj(_) => true,
        }
    }

    /// `String(value)` as JavaScript would print it (used where the server
    /// concatenates values into messages or casts them to strings).
    pub(crate) fn js_string(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Num(n) => write::number(*n),
            Json::Str(s) => s.clone(),
            Json::Arr(a) => a
                .iter()
                .map(|v| match v {
                    Json::Null => String::new(),
                    other => other.js_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            Json::Obj(_) => "[object Object]".into(),
        }
    }

    /// Compact `JSON.stringify` text.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        write::value(&mut out, self);
        out
    }

    /// Appends the compact text to `out`.
    pub(crate) fn write_to(&self, out: &mut String) {
        write::value(out, self);
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::Str(s.to_string())
    }
}
impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::Str(s)
    }
}
impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}
impl From<f64> for Json {
    fn from(n: f64) -> Self {
        Json::Num(n)
    }
}
impl From<i64> for Json {
    fn from(n: i64) -> Self {
        Json::Num(n as f64)
    }
}
impl From<usize> for Json {
    fn from(n: usize) -> Self {
        Json::Num(n as f64)
    }
}
impl From<Vec<Json>> for Json {
    fn from(a: Vec<Json>) -> Self {
        Json::Arr(a)
    }
}
impl From<Map> for Json {
    fn from(m: Map) -> Self {
        Json::Obj(m)
    }
}

/// Compact text of an object, without cloning it into a [`Json`].
pub(crate) fn map_text(m: &Map) -> String {
    let mut out = String::new();
    write::object(&mut out, m);
    out
}

/// Whether `key` is an array index ("0", "17"), which JavaScript objects
/// keep first, in ascending numeric order, whatever the insertion order.
pub(crate) fn is_index_key(key: &str) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // 2^32 - 1 is not an array index.
    key.parse::<u64>()
        .ok()
        .filter(|n| *n < u64::from(u32::MAX))
        .and_then(|n| u32::try_from(n).ok())
}

/// Sets `obj[key] = value` with JavaScript property-order rules: an existing
/// key keeps its place, a new array-index key goes among the leading index
/// keys in numeric order, any other new key goes last.
pub(crate) fn js_set(map: &mut Map, key: String, value: Json) {
    if let Some(slot) = map.get_mut(&key) {
        *slot = value;
        return;
    }
    match is_index_key(&key) {
        None => {
            map.insert(key, value);
        }
        Some(n) => {
            let mut pos = 0;
            for (k, _) in map.iter() {
                match is_index_key(k) {
                    Some(m) if m < n => pos += 1,
                    _ => break,
                }
            }
            map.shift_insert(pos, key, value);
        }
    }
}

/// Mongoose's `minimize`: removes keys whose value is an empty object,
/// recursively; objects inside arrays keep their place even when empty.
pub(crate) fn minimize(map: &mut Map) {
    map.retain(|_, v| minimize_value(v, false));
}

fn minimize_value(v: &mut Json, in_array: bool) -> bool {
    match v {
        Json::Obj(m) => {
            m.retain(|_, c| minimize_value(c, false));
            in_array || !m.is_empty()
        }
        Json::Arr(a) => {
            for item in a.iter_mut() {
                minimize_value(item, true);
            }
            true
        }
        _ => true,
    }
}

/// Deep clone of a `serde_json::Value` into [`Json`] (keys come out sorted:
/// only used for configuration values whose order does not matter).
pub(crate) fn from_serde(v: &serde_json::Value) -> Json {
    match v {
        serde_json::Value::Null => Json::Null,
        serde_json::Value::Bool(b) => Json::Bool(*b),
        serde_json::Value::Number(n) => Json::Num(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Json::Str(s.clone()),
        serde_json::Value::Array(a) => Json::Arr(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o {
                js_set(&mut m, k.clone(), from_serde(v));
            }
            Json::Obj(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys_come_first_in_numeric_order() {
        let v = parse(br#"{"b":1,"10":2,"a":3,"2":4,"01":5}"#).unwrap();
        assert_eq!(v.to_text(), r#"{"2":4,"10":2,"b":1,"a":3,"01":5}"#);
    }

    #[test]
    fn duplicate_keys_keep_first_place_and_last_value() {
        let v = parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(v.to_text(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn minimize_drops_empty_objects_but_not_in_arrays() {
        let mut v = parse(br#"{"a":{},"b":{"c":{}},"d":[{},{"e":{}}],"f":null}"#).unwrap();
        if let Json::Obj(m) = &mut v {
            minimize(m);
        }
        assert_eq!(v.to_text(), r#"{"d":[{},{}],"f":null}"#);
    }

    #[test]
    fn js_string_matches_javascript() {
        assert_eq!(Json::Num(3.0).js_string(), "3");
        assert_eq!(
            parse(b"[1,null,\"a\"]").unwrap().js_string(),
            "1,,a".to_string()
        );
        assert_eq!(Json::obj().js_string(), "[object Object]");
    }
}
