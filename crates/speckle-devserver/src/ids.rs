//! Identifiers and clocks shaped like the real server's: Mongo ObjectIds,
//! shortid stream ids, uuid v4 layer guids, ISO-8601 timestamps.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A new 24-hex ObjectId: 4 bytes of seconds, 5 bytes fixed per process,
/// 3 bytes of an incrementing counter, like the BSON driver makes them.
pub(crate) fn object_id() -> String {
    static PROCESS: OnceLock<[u8; 5]> = OnceLock::new();
    static COUNTER: OnceLock<AtomicU32> = OnceLock::new();
    let process = PROCESS.get_or_init(|| {
        let mut b = [0u8; 5];
        for x in &mut b {
            *x = fastrand::u8(..);
        }
        b
    });
    let counter = COUNTER.get_or_init(|| AtomicU32::new(fastrand::u32(..0x00ff_ffff)));
    let secs = u32::try_from(now_ms() / 1000).unwrap_or(u32::MAX);
    let count = counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    let mut out = format!("{secs:08x}");
    for b in process {
        out.push_str(&format!("{b:02x}"));
    }
    out.push_str(&format!("{count:06x}"));
    out
}

/// Casts a path or body value to an ObjectId the way mongoose does: 24 hex
/// digits (case-insensitive), or any 12-byte string taken as raw bytes.
pub(crate) fn cast_object_id(s: &str) -> Option<String> {
    if s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(s.to_ascii_lowercase());
    }
    if s.len() == 12 {
        return Some(s.bytes().map(|b| format!("{b:02x}")).collect());
    }
    None
}

/// A shortid-like stream id: 9 or 10 characters of `[0-9A-Za-z_-]`.
pub(crate) fn short_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";
    let len = fastrand::usize(9..=10);
    (0..len)
        .map(|_| {
            let i = fastrand::usize(..ALPHABET.len());
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

/// A random (version 4) UUID.
pub(crate) fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    for x in &mut b {
        *x = fastrand::u8(..);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    min: i64,
    sec: i64,
    ms: i64,
}

fn parts(ms: i64) -> Parts {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: rem / 3_600_000,
        min: rem / 60_000 % 60,
        sec: rem / 1000 % 60,
        ms: rem % 1000,
    }
}

/// `Date.prototype.toISOString`: `2026-11-29T15:24:18.342Z`.
pub(crate) fn iso(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.year, p.month, p.day, p.hour, p.min, p.sec, p.ms
    )
}

/// The current time as an ISO string.
pub(crate) fn now_iso() -> String {
    iso(now_ms())
}

/// `Date.prototype.toLocaleString("en")` in UTC: `11/29/2026, 3:24:18 PM`.
pub(crate) fn locale_string(ms: i64) -> String {
    let p = parts(ms);
    let (h12, ampm) = match p.hour {
        0 => (12, "AM"),
        1..=11 => (p.hour, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{}/{}/{}, {}:{:02}:{:02} {}",
        p.month, p.day, p.year, h12, p.min, p.sec, ampm
    )
}

/// Parses the ISO-8601 forms the server stores and q2m accepts
/// (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, optionally `THH:MM[:SS[.mmm]]` and a
/// `Z` or `±HH:MM` offset) to epoch milliseconds.
pub(crate) fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let piece = s.get(from..from + len)?;
        if !piece.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        piece.parse().ok()
    };
    let year = num(0, 4)?;
    let mut i = 4;
    let mut month = 1;
    let mut day = 1;
    if b.get(i) == Some(&b'-') {
        month = num(i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'-') {
            day = num(i + 1, 2)?;
            i += 3;
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut ms =
        days_from_civil(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?) * 86_400_000;
    let has_time = matches!(b.get(i), Some(b'T' | b' '));
    let mut local = !has_time;
    if has_time {
        let h = num(i + 1, 2)?;
        let m = num(i + 4, 2)?;
        if b.get(i + 3) != Some(&b':') || h > 24 || m > 59 {
            return None;
        }
        ms += h * 3_600_000 + m * 60_000;
        i += 6;
        if b.get(i) == Some(&b':') {
            let sec = num(i + 1, 2)?;
            if sec > 59 {
                return None;
            }
            ms += sec * 1000;
            i += 3;
            if let Some(b'.' | b',') = b.get(i) {
                i += 1;
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let frac = s.get(start..i)?;
                let mut scaled: String = frac.chars().take(3).collect();
                while scaled.len() < 3 {
                    scaled.push('0');
                }
                ms += scaled.parse::<i64>().ok()?;
            }
        }
        local = true;
    }
    match b.get(i) {
        None => {}
        Some(b'Z' | b'z') if i + 1 == b.len() => local = false,
        Some(sign @ (b'+' | b'-')) => {
            let oh = num(i + 1, 2)?;
            let om = match b.get(i + 3) {
                Some(b':') => num(i + 4, 2)?,
                Some(_) => num(i + 3, 2)?,
                None => 0,
            };
            let off = oh * 3_600_000 + om * 60_000;
            ms += if *sign == b'+' { -off } else { off };
            local = false;
        }
        _ => return None,
    }
    // A date-time without an offset is local time in JavaScript; this server
    // runs on UTC, so nothing to add either way.
    let _ = local;
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_24_hex_and_increasing() {
        let a = object_id();
        let b = object_id();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn dates_format_and_parse() {
        let ms = 1_795_965_858_342;
        assert_eq!(iso(ms), "2026-11-29T15:24:18.342Z");
        assert_eq!(parse_iso("2026-11-29T15:24:18.342Z"), Some(ms));
        assert_eq!(locale_string(ms), "11/29/2026, 3:24:18 PM");
        assert_eq!(parse_iso("2019-01-01"), Some(1_546_300_800_000));
        assert_eq!(parse_iso("2019-01-01T01:00+01:00"), Some(1_546_300_800_000));
        assert_eq!(parse_iso("hello"), None);
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn casts_like_mongoose() {
        assert_eq!(
            cast_object_id("5C0000000000000000000000").as_deref(),
            Some("5c0000000000000000000000")
        );
        assert!(cast_object_id("not-an-objectid").is_none());
        assert_eq!(cast_object_id("abcdefghijkl").map(|s| s.len()), Some(24));
    }

    #[test]
    fn uuids_and_short_ids_have_their_shape() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        let s = short_id();
        assert!((9..=10).contains(&s.len()));
    }
}
