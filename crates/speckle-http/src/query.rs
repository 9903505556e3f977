//! A typed builder for the server's query-string language (query-to-mongo).
//!
//! Two traps of that language are closed here:
//! - **Hashes turning into numbers.** `hash=12345` is typed as the number
//!   12345 by the server, so it stops matching the string. String values are
//!   always sent quoted (`hash="12345"`), which turns typing off.
//! - **Repeated option keys.** `fields=a&fields=b` crashes the server's
//!   handler with a 500. `fields`, `omit` and `sort` are always written once,
//!   comma-joined, however many times they are set.
//!
//! ```
//! use speckle_http::query::{Query, Filter, FilterValue};
//!
//! let query = Query::new()
//!     .fields(["name", "streamId"])
//!     .sort_desc("updatedAt")
//!     .limit(10)
//!     .filter(Filter::eq("hash", "12345"))
//!     .filter(Filter::gt("updatedAt", FilterValue::raw("2019-01-01")));
//! assert_eq!(
//!     query.to_query_string(),
//!     "fields=name,streamId&sort=-updatedAt&limit=10&hash=%2212345%22&updatedAt>2019-01-01"
//! );
//! ```

use speckle_types::percent::{percent_encode, EncodeSet};

fn enc(text: &str) -> String {
    percent_encode(text, EncodeSet::QueryComponent)
}

/// The old name of [`FilterValue`]; it read like `serde_json::Value`.
#[deprecated(since = "0.1.0", note = "renamed to `FilterValue`")]
pub type Value = FilterValue;

/// A filter value, typed the way the server will read it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FilterValue {
    /// A string, sent quoted so the server never turns it into a number,
    /// boolean or date.
    Str(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// Sent as written and typed by the server: use it for dates
    /// (`2019-01-01` becomes a Date) or when you want the server's typing.
    Raw(String),
}

impl FilterValue {
    /// A value the server types itself (dates, numbers written as text).
    pub fn raw(text: impl Into<String>) -> Self {
        FilterValue::Raw(text.into())
    }

    fn encode(&self) -> String {
        match self {
            // JSON-style quoting; the server strips the quotes and keeps the
            // rest verbatim.
            FilterValue::Str(s) => enc(&format!("\"{s}\"")),
            FilterValue::Number(n) => enc(&n.to_string()),
            FilterValue::Bool(b) => b.to_string(),
            FilterValue::Raw(s) => enc(s),
        }
    }
}

impl From<&str> for FilterValue {
    fn from(s: &str) -> Self {
        FilterValue::Str(s.to_owned())
    }
}
impl From<String> for FilterValue {
    fn from(s: String) -> Self {
        FilterValue::Str(s)
    }
}
impl From<f64> for FilterValue {
    fn from(n: f64) -> Self {
        FilterValue::Number(n)
    }
}
/// Integers are sent as written: exact for every id-sized integer the API
/// uses (an `f64` would round past 2^53).
macro_rules! integer_values {
    ($($int:ty),*) => {$(
        impl From<$int> for FilterValue {
            fn from(n: $int) -> Self {
                FilterValue::Raw(n.to_string())
            }
        }
    )*};
}
integer_values!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl From<bool> for FilterValue {
    fn from(b: bool) -> Self {
        FilterValue::Bool(b)
    }
}

/// One filter criterion.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Filter {
    /// `key=value`
    Eq(String, FilterValue),
    /// `key=a&key=b` (`$in`; repeated keys so values may contain commas)
    In(String, Vec<FilterValue>),
    /// `key!=value` (several values give `$nin`)
    Ne(String, Vec<FilterValue>),
    /// `key>value`
    Gt(String, FilterValue),
    /// `key>=value`
    Gte(String, FilterValue),
    /// `key<value`
    Lt(String, FilterValue),
    /// `key<=value`
    Lte(String, FilterValue),
    /// `key` (the key exists)
    Exists(String),
    /// `!key` (the key does not exist)
    NotExists(String),
    /// `key:size=n` (array length)
    Size(String, u64),
    /// `key:type=t` (BSON type)
    Type(String, String),
    /// `key:all=a,b` (array contains all)
    All(String, Vec<FilterValue>),
    /// `key=/pattern/` or `key=/pattern/i`
    Regex {
        /// The key.
        key: String,
        /// The pattern, without slashes.
        pattern: String,
        /// Case-insensitive (the only flag the server supports).
        case_insensitive: bool,
    },
}

impl Filter {
    /// `key = value`
    pub fn eq(key: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Filter::Eq(key.into(), value.into())
    }
    /// `key ∈ values`. An empty set matches nothing, which the server's
    /// query language cannot say (`key=` means "has the key"): a query with
    /// an empty `is_in` is refused before anything is sent.
    pub fn is_in<V: Into<FilterValue>>(
        key: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Filter::In(key.into(), values.into_iter().map(Into::into).collect())
    }
    /// `key ≠ value`
    pub fn ne(key: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Filter::Ne(key.into(), vec![value.into()])
    }
    /// `key ∉ values`
    pub fn not_in<V: Into<FilterValue>>(
        key: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Filter::Ne(key.into(), values.into_iter().map(Into::into).collect())
    }
    /// `key > value`
    pub fn gt(key: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Filter::Gt(key.into(), value.into())
    }
    /// `key ≥ value`
    pub fn gte(key: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Filter::Gte(key.into(), value.into())
    }
    /// `key < value`
    pub fn lt(key: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Filter::Lt(key.into(), value.into())
    }
    /// `key ≤ value`
    pub fn lte(key: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Filter::Lte(key.into(), value.into())
    }
    /// The key exists.
    pub fn exists(key: impl Into<String>) -> Self {
        Filter::Exists(key.into())
    }
    /// The key does not exist.
    pub fn not_exists(key: impl Into<String>) -> Self {
        Filter::NotExists(key.into())
    }
    /// The array at `key` has `n` elements.
    pub fn size(key: impl Into<String>, n: u64) -> Self {
        Filter::Size(key.into(), n)
    }
    /// The value at `key` has BSON type `t`.
    pub fn of_type(key: impl Into<String>, t: impl Into<String>) -> Self {
        Filter::Type(key.into(), t.into())
    }
    /// The array at `key` contains all `values`.
    pub fn all<V: Into<FilterValue>>(
        key: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Filter::All(key.into(), values.into_iter().map(Into::into).collect())
    }
    /// The string at `key` matches `pattern`.
    pub fn regex(
        key: impl Into<String>,
        pattern: impl Into<String>,
        case_insensitive: bool,
    ) -> Self {
        Filter::Regex {
            key: key.into(),
            pattern: pattern.into(),
            case_insensitive,
        }
    }

    fn write(&self, out: &mut Vec<String>) {
        let list = |values: &[FilterValue]| {
            values
                .iter()
                .map(FilterValue::encode)
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Filter::Eq(k, v) => out.push(format!("{}={}", enc(k), v.encode())),
            Filter::In(k, vs) => {
                for v in vs {
                    out.push(format!("{}={}", enc(k), v.encode()));
                }
            }
            Filter::Ne(k, vs) => {
                for v in vs {
                    out.push(format!("{}!={}", enc(k), v.encode()));
                }
            }
            Filter::Gt(k, v) => out.push(format!("{}>{}", enc(k), v.encode())),
            Filter::Gte(k, v) => out.push(format!("{}>={}", enc(k), v.encode())),
            Filter::Lt(k, v) => out.push(format!("{}<{}", enc(k), v.encode())),
            Filter::Lte(k, v) => out.push(format!("{}<={}", enc(k), v.encode())),
            Filter::Exists(k) => out.push(enc(k)),
            Filter::NotExists(k) => out.push(format!("!{}", enc(k))),
            Filter::Size(k, n) => out.push(format!("{}:size={n}", enc(k))),
            Filter::Type(k, t) => out.push(format!("{}:type={}", enc(k), enc(t))),
            Filter::All(k, vs) => out.push(format!("{}:all={}", enc(k), list(vs))),
            Filter::Regex {
                key,
                pattern,
                case_insensitive,
            } => {
                let flags = if *case_insensitive { "i" } else { "" };
                out.push(format!(
                    "{}={}",
                    enc(key),
                    enc(&format!("/{pattern}/{flags}"))
                ));
            }
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending (`-key`).
    Desc,
}

/// A query string. Options that a route ignores are harmless; see each
/// endpoint's docs for what it honours.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct Query {
    fields: Vec<String>,
    omit: Vec<String>,
    sort: Vec<(String, Order)>,
    offset: Option<u64>,
    limit: Option<u64>,
    filters: Vec<Filter>,
    flags: Vec<String>,
}

impl Query {
    /// An empty query.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only return these keys (the server adds `_id`, and on streams and
    /// objects also `type, private, canRead, canWrite, owner`).
    pub fn fields<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.fields.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Leave these keys out. When both are set the server ignores `fields`.
    pub fn omit<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.omit.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Sort ascending by `key` (after earlier sort keys).
    pub fn sort_asc(mut self, key: impl Into<String>) -> Self {
        self.sort.push((key.into(), Order::Asc));
        self
    }

    /// Sort descending by `key` (after earlier sort keys).
    pub fn sort_desc(mut self, key: impl Into<String>) -> Self {
        self.sort.push((key.into(), Order::Desc));
        self
    }

    /// Skip `n` results.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// Return at most `n` results (the server has no default limit).
    /// `0` means no limit on the server, so it is sent as nothing.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = (n > 0).then_some(n);
        self
    }

    /// Add a filter criterion.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Turn on a switch such as `populatePermissions`, sent as `key=true`.
    ///
    /// The server acts on a switch only when its value is truthy: a bare
    /// `?populatePermissions` is read as an empty (false) value and ignored,
    /// and `populatePermissions=false` becomes a filter that matches nothing.
    /// So a switch is either sent as `true` or not at all.
    ///
    /// ```
    /// use speckle_http::query::Query;
    /// let query = Query::new().flag("populatePermissions");
    /// assert_eq!(query.to_query_string(), "populatePermissions=true");
    /// ```
    pub fn flag(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        if !self.flags.contains(&key) {
            self.flags.push(key);
        }
        self
    }

    /// Merges `other` into `self` (lists are concatenated; scalars of `other` win).
    pub fn merge(mut self, other: Query) -> Self {
        self.fields.extend(other.fields);
        self.omit.extend(other.omit);
        self.sort.extend(other.sort);
        self.offset = other.offset.or(self.offset);
        self.limit = other.limit.or(self.limit);
        self.filters.extend(other.filters);
        for flag in other.flags {
            self = self.flag(flag);
        }
        self
    }

    /// Only the projection part (`fields`, `omit`): what routes that return
    /// one document honour (sort, filters and paging mean nothing there).
    pub(crate) fn projection_only(&self) -> Query {
        Query {
            fields: self.fields.clone(),
            omit: self.omit.clone(),
            ..Query::default()
        }
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self == &Query::default()
    }

    /// Why this query cannot be sent, if it cannot: an `is_in` with an
    /// empty set would be written as nothing and so match everything.
    pub(crate) fn refusal(&self) -> Option<String> {
        self.filters.iter().find_map(|filter| match filter {
            Filter::In(key, values) if values.is_empty() => Some(format!(
                "Filter::is_in(\"{key}\", []) matches nothing, and the server's query \
                 language cannot say so (it would match everything): skip the request"
            )),
            _ => None,
        })
    }

    /// The encoded query string, without the leading `?`.
    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        let joined = |keys: &[String]| keys.iter().map(|k| enc(k)).collect::<Vec<_>>().join(",");
        if !self.fields.is_empty() {
            parts.push(format!("fields={}", joined(&self.fields)));
        }
        if !self.omit.is_empty() {
            parts.push(format!("omit={}", joined(&self.omit)));
        }
        if !self.sort.is_empty() {
            let keys: Vec<String> = self
                .sort
                .iter()
                .map(|(k, o)| match o {
                    // A literal `+` would decode to a space; ascending is the bare key.
                    Order::Asc => enc(k),
                    Order::Desc => format!("-{}", enc(k)),
                })
                .collect();
            parts.push(format!("sort={}", keys.join(",")));
        }
        if let Some(offset) = self.offset {
            parts.push(format!("offset={offset}"));
        }
        if let Some(limit) = self.limit {
            parts.push(format!("limit={limit}"));
        }
        for filter in &self.filters {
            filter.write(&mut parts);
        }
        for flag in &self.flags {
            parts.push(format!("{}=true", enc(flag)));
        }
        parts.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_keys_are_never_repeated() {
        let q = Query::new()
            .fields(["a"])
            .fields(["b"])
            .omit(["c", "d"])
            .sort_asc("x")
            .sort_desc("y");
        assert_eq!(q.to_query_string(), "fields=a,b&omit=c,d&sort=x,-y");
    }

    #[test]
    fn strings_are_quoted_so_digit_hashes_stay_strings() {
        let q = Query::new().filter(Filter::eq("hash", "1234e5"));
        assert_eq!(q.to_query_string(), "hash=%221234e5%22");
    }

    #[test]
    fn every_operator_has_its_syntax() {
        let q = Query::new()
            .filter(Filter::is_in("type", ["Point", "Mesh,2"]))
            .filter(Filter::not_in("name", ["a", "b"]))
            .filter(Filter::gte("n", 2.5))
            .filter(Filter::lt("n", 10i64))
            .filter(Filter::lte("createdAt", FilterValue::raw("2020-01-01")))
            .filter(Filter::exists("parent"))
            .filter(Filter::not_exists("deleted"))
            .filter(Filter::size("children", 2))
            .filter(Filter::of_type("name", "string"))
            .filter(Filter::all("tags", ["x", "y"]))
            .filter(Filter::regex("name", "^probe", true))
            .filter(Filter::eq("private", false))
            .flag("populatePermissions");
        assert_eq!(
            q.to_query_string(),
            "type=%22Point%22&type=%22Mesh%2C2%22&name!=%22a%22&name!=%22b%22&n>=2.5&n<10\
             &createdAt<=2020-01-01&parent&!deleted&children:size=2&name:type=string\
             &tags:all=%22x%22,%22y%22&name=%2F%5Eprobe%2Fi&private=false&populatePermissions=true"
        );
    }

    #[test]
    fn keys_cannot_inject_operators() {
        let q = Query::new().filter(Filter::eq("a&b=c", "v"));
        assert_eq!(q.to_query_string(), "a%26b%3Dc=%22v%22");
    }

    #[test]
    fn zero_limit_is_not_sent() {
        assert_eq!(Query::new().limit(0).to_query_string(), "");
        assert_eq!(
            Query::new().offset(5).limit(2).to_query_string(),
            "offset=5&limit=2"
        );
    }
}
