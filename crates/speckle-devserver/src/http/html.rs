//! Express's default HTML pages (finalhandler): 404 for unknown routes,
//! and the error page for 400/413/415/500 with the error's first stack line.

use super::Reply;

/// finalhandler's `createHtmlDocument`.
pub(crate) fn document(message: &str) -> String {
    let mut escaped = String::with_capacity(message.len());
    for c in message.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    let body = escaped.replace('\n', "<br>").replace("  ", " &nbsp;");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>{body}</pre>\n</body>\n</html>\n"
    )
}

/// `Cannot GET /api/x` with status 404.
pub(crate) fn not_found(method: &str, pathname: &str) -> Reply {
    // finalhandler runs the path through encodeurl; paths from hyper are
    // already percent-encoded.
    Reply::Html(404, document(&format!("Cannot {method} {pathname}")))
}

/// An error page: `<name>: <message>` and one stack line, as Express prints
/// an error in development mode.
pub(crate) fn error(status: u16, text: &str, frame: &str) -> Reply {
    Reply::Html(status, document(&format!("{text}\n    at {frame}")))
}

/// Body-parser's JSON syntax error (400).
pub(crate) fn bad_json(message: &str) -> Reply {
    error(
        400,
        &format!("SyntaxError: {message}"),
        "JSON.parse (<anonymous>)",
    )
}

/// raw-body's 413.
pub(crate) fn too_large() -> Reply {
    error(
        413,
        "PayloadTooLargeError: request entity too large",
        "readStream (raw-body/index.js)",
    )
}

/// An exception thrown inside a handler (500).
pub(crate) fn crash(text: &str) -> Reply {
    error(
        500,
        text,
        "Layer.handle [as handle_request] (express/lib/router/layer.js)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_page_is_express_byte_for_byte() {
        let Reply::Html(404, page) = not_found("GET", "/api/doesnotexist") else {
            panic!("not html")
        };
        assert_eq!(
            page,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET /api/doesnotexist</pre>\n</body>\n</html>\n"
        );
    }

    #[test]
    fn error_pages_escape_and_indent_like_express() {
        let Reply::Html(400, page) = bad_json("Unexpected end of JSON input") else {
            panic!("not html")
        };
        assert!(page.contains(
            "<pre>SyntaxError: Unexpected end of JSON input<br> &nbsp; &nbsp;at JSON.parse (&lt;anonymous&gt;)</pre>"
        ));
    }
}
