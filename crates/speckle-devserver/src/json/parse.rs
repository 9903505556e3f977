//! `JSON.parse` with V8's error messages.
//!
//! Numbers are parsed with the standard library's correctly rounded float
//! parser, so a float sent by a client comes back bit-identical; keys keep
//! JavaScript property order (see [`super::js_set`]).

use super::{js_set, Json, Map};

/// Nesting deeper than this is refused instead of risking the stack (V8
/// itself accepts more; a difference listed in the crate README).
const MAX_DEPTH: usize = 512;

/// A `SyntaxError` as V8 words it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParseError {
    pub(crate) message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses UTF-8 bytes (invalid sequences become U+FFFD, a leading BOM is
/// dropped, as body-parser's decoder does).
pub(crate) fn parse(bytes: &[u8]) -> Result<Json, ParseError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    parse_str(text)
}

pub(crate) fn parse_str(text: &str) -> Result<Json, ParseError> {
    let mut p = Parser {
        src: text,
        b: text.as_bytes(),
        i: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(ParseError {
            message: format!(
                "Unexpected non-whitespace character after JSON at position {}",
                p.i
            ),
        });
    }
    Ok(v)
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn at(&self, what: &str) -> ParseError {
        ParseError {
            message: format!("{what} in JSON at position {}", self.i),
        }
    }

    fn end() -> ParseError {
        ParseError {
            message: "Unexpected end of JSON input".into(),
        }
    }

    fn unexpected(&self) -> ParseError {
        if self.i >= self.b.len() {
            return Self::end();
        }
        let ch = self
            .src
            .get(self.i..)
            .and_then(|s| s.chars().next())
            .unwrap_or('\u{fffd}');
        ParseError {
            message: format!(
                "Unexpected token '{ch}', {} is not valid JSON",
                snippet(self.src, self.i)
            ),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.at("Maximum nesting depth exceeded"));
        }
        match self.peek() {
            None => Err(Self::end()),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(_) => Err(self.unexpected()),
        }
    }

    fn literal(&mut self, word: &str, v: Json) -> Result<Json, ParseError> {
        for expected in word.bytes() {
            match self.peek() {
                None => return Err(Self::end()),
                Some(b) if b == expected => self.i += 1,
                Some(_) => return Err(self.unexpected()),
            }
        }
        Ok(v)
    }

    fn object(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.i += 1;
        let mut map = Map::new();
        self.ws();
        match self.peek() {
            None => return Err(Self::end()),
            Some(b'}') => {
                self.i += 1;
                return Ok(Json::Obj(map));
            }
            Some(b'"') => {}
            Some(_) => return Err(self.at("Expected property name or '}'")),
        }
        loop {
            self.ws();
            match self.peek() {
                None => return Err(Self::end()),
                Some(b'"') => {}
                Some(_) => return Err(self.at("Expected double-quoted property name")),
            }
            let key = self.string()?;
            self.ws();
            match self.peek() {
                None => return Err(Self::end()),
                Some(b':') => self.i += 1,
                Some(_) => return Err(self.at("Expected ':' after property name")),
            }
            self.ws();
            let v = self.value(depth + 1)?;
            js_set(&mut map, key, v);
            self.ws();
            match self.peek() {
                None => return Err(Self::end()),
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Json::Obj(map));
                }
                Some(_) => return Err(self.at("Expected ',' or '}' after property value")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Json::Arr(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                None => return Err(Self::end()),
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                Some(_) => return Err(self.at("Expected ',' or ']' after array element")),
            }
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let open = self.i;
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            let Some(b) = self.peek() else {
                self.i = open;
                return Err(self.at("Unterminated string"));
            };
            match b {
                b'"' => {
                    out.push_str(self.src.get(run..self.i).unwrap_or_default());
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(self.src.get(run..self.i).unwrap_or_default());
                    self.escape(&mut out)?;
                    run = self.i;
                }
                0..=0x1f => return Err(self.at("Bad control character in string literal")),
                _ => self.i += 1,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        self.i += 1;
        let Some(c) = self.peek() else {
            return Err(Self::end());
        };
        let simple = match c {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'u' => None,
            _ => return Err(self.at("Bad escaped character")),
        };
        if let Some(ch) = simple {
            out.push(ch);
            self.i += 1;
            return Ok(());
        }
        self.i += 1;
        let hi = self.hex4()?;
        if (0xd800..0xdc00).contains(&hi)
            && self.b.get(self.i) == Some(&b'\\')
            && self.b.get(self.i + 1) == Some(&b'u')
        {
            let save = self.i;
            self.i += 2;
            let lo = self.hex4()?;
            if (0xdc00..0xe000).contains(&lo) {
                let cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                return Ok(());
            }
            self.i = save;
        }
        // A lone surrogate cannot live in a Rust string: it becomes U+FFFD.
        out.push(char::from_u32(hi).unwrap_or('\u{fffd}'));
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(b) = self.peek() else {
                return Err(Self::end());
            };
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(self.at("Bad Unicode escape")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Json, ParseError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
            match self.peek() {
                None => return Err(Self::end()),
                Some(b'0'..=b'9') => {}
                Some(_) => return Err(self.at("No number after minus sign")),
            }
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            match self.peek() {
                Some(b'0'..=b'9') => self.digits(),
                None => return Err(Self::end()),
                Some(_) => return Err(self.at("Unterminated fractional number")),
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            match self.peek() {
                Some(b'0'..=b'9') => self.digits(),
                None => return Err(Self::end()),
                Some(_) => return Err(self.at("Exponent part is missing a number")),
            }
        }
        let text = self.src.get(start..self.i).unwrap_or("0");
        // Out-of-range values become ±Infinity, as in JavaScript.
        Ok(Json::Num(text.parse::<f64>().unwrap_or(0.0)))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }
}

/// V8's quoting of the source in "is not valid JSON" messages: the whole
/// text when short, else ten characters either side of the error.
fn snippet(src: &str, at: usize) -> String {
    const CONTEXT: usize = 10;
    if src.chars().count() <= 2 * CONTEXT + 20 {
        return format!("\"{src}\"");
    }
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let pos = chars
        .iter()
        .position(|(i, _)| *i >= at)
        .unwrap_or(chars.len());
    let from = pos.saturating_sub(CONTEXT);
    let to = (pos + CONTEXT).min(chars.len());
    let piece: String = chars
        .get(from..to)
        .unwrap_or_default()
        .iter()
        .map(|(_, c)| *c)
        .collect();
    let pre = if from > 0 { "..." } else { "" };
    let post = if to < chars.len() { "..." } else { "" };
    format!("{pre}\"{piece}\"{post}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        parse(s.as_bytes()).unwrap_err().message
    }

    #[test]
    fn parses_values() {
        let v =
            parse(br#" {"a":[1,2.5,-0.0,1e+300,"x\u00e9\ud83d\ude00",true,false,null],"b":{}} "#)
                .unwrap();
        assert_eq!(
            v.to_text(),
            "{\"a\":[1,2.5,0,1e+300,\"xé😀\",true,false,null],\"b\":{}}"
        );
    }

    #[test]
    fn floats_round_trip_exactly() {
        for f in [
            0.1f64,
            1.0 / 3.0,
            2.0f64.sqrt(),
            1e-310,
            123456.789e10,
            0.30000000000000004,
        ] {
            let text = Json::Num(f).to_text();
            match parse(text.as_bytes()).unwrap() {
                Json::Num(g) => assert_eq!(f.to_bits(), g.to_bits(), "{text}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn errors_are_worded_like_v8() {
        assert_eq!(err(r#"{"name": "#), "Unexpected end of JSON input");
        assert_eq!(err(""), "Unexpected end of JSON input");
        assert_eq!(
            err("{} x"),
            "Unexpected non-whitespace character after JSON at position 3"
        );
        assert_eq!(
            err("{x"),
            "Expected property name or '}' in JSON at position 1"
        );
        assert_eq!(
            err(r#"{"a" 1}"#),
            "Expected ':' after property name in JSON at position 5"
        );
        assert_eq!(
            err("[1 2]"),
            "Expected ',' or ']' after array element in JSON at position 3"
        );
        assert_eq!(
            err("[tru]"),
            "Unexpected token ']', \"[tru]\" is not valid JSON"
        );
        assert_eq!(
            err("[-]"),
            "No number after minus sign in JSON at position 2"
        );
        assert_eq!(
            err("\"a\u{1}\""),
            "Bad control character in string literal in JSON at position 2"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_crashing() {
        let deep = "[".repeat(100_000);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
