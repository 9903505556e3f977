//! Summaries of several rounds: each row's median round, and the adaptive
//! push against the best fixed batch size round by round.

use crate::e2e::Measure;

/// Each strategy's round with the median time.
pub fn medians<'a>(rows: &[(&'a str, Vec<Measure>)]) -> Vec<(&'a str, Measure)> {
    rows.iter()
        .filter_map(|(name, measures)| {
            let mut measures = measures.clone();
            measures.sort_by_key(|m| m.time);
            let middle = measures.len() / 2;
            measures.into_iter().nth(middle).map(|m| (*name, m))
        })
        .collect()
}

/// The adaptive push (the `(a)` row) against the fixed batch size (`(f)`
/// rows) with the best median, round by round: the median of the rounds'
/// ratios (objects/s), and that row's name. A shared machine's speed
/// changes from one minute to the next; runs of the same round are minutes
/// apart at most, runs of different rounds many minutes, so the ratios of
/// one round's runs carry less of that change than the ratio of two
/// medians. `None` with fewer than two rounds.
pub fn paired_to_best_fixed<'a>(rows: &[(&'a str, Vec<Measure>)]) -> Option<(&'a str, f64)> {
    let adaptive = rows.iter().find(|(n, _)| n.starts_with("(a)"))?;
    // The best fixed size by its median round, as the tables show it.
    let best = medians(rows)
        .into_iter()
        .filter(|(n, _)| n.starts_with("(f)"))
        .max_by(|x, y| x.1.objects_per_s().total_cmp(&y.1.objects_per_s()))?;
    let best = rows.iter().find(|(n, _)| *n == best.0)?;
    let mut ratios: Vec<f64> = adaptive
        .1
        .iter()
        .zip(&best.1)
        .map(|(a, f)| a.objects_per_s() / f.objects_per_s().max(1e-9))
        .collect();
    if ratios.len() < 2 {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let middle = ratios.len() / 2;
    let median = if ratios.len() % 2 == 0 {
        (ratios.get(middle - 1)? + ratios.get(middle)?) / 2.0
    } else {
        *ratios.get(middle)?
    };
    Some((best.0, median))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn took(seconds: &[u64]) -> Vec<Measure> {
        seconds
            .iter()
            .map(|&s| Measure {
                time: Duration::from_secs(s),
                bytes: 0,
                objects: 1_000,
                requests: 1,
                peak_rss: None,
                rss_before: 0,
            })
            .collect()
    }

    #[test]
    fn rounds_are_compared_with_their_own_runs_of_the_best_fixed_size() {
        // The adaptive push is faster than fixed 4,000 in two rounds of
        // three, but its slow run fell in a slow spell of the machine: the
        // medians (12 s against 11 s) say the opposite.
        let rows = vec![
            ("(a) adaptive", took(&[12, 9, 20])),
            ("(f) 250", took(&[14, 15, 16])),
            ("(f) 4000", took(&[13, 10, 11])),
        ];
        let medians = medians(&rows);
        let seconds: Vec<u64> = medians.iter().map(|(_, m)| m.time.as_secs()).collect();
        assert_eq!(seconds, [12, 15, 11]);
        let (best, ratio) = paired_to_best_fixed(&rows).unwrap();
        assert_eq!(best, "(f) 4000");
        // 13/12, 10/9, 11/20: the median is 13/12.
        assert!((ratio - 13.0 / 12.0).abs() < 1e-9, "{ratio}");
    }

    #[test]
    fn one_round_has_no_round_by_round_ratio() {
        let rows = vec![("(a) adaptive", took(&[10])), ("(f) 250", took(&[12]))];
        assert!(paired_to_best_fixed(&rows).is_none());
    }
}
