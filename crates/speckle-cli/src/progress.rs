//! A one-line progress display on stderr (objects, MB, objects/s), drawn
//! only when stderr is a terminal so logs and pipes get no control characters.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use speckle::{Progress, ProgressFn};

/// Redraws at most this often: a terminal cannot show more anyway.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

struct State {
    verb: &'static str,
    started: Instant,
    last_drawn: Option<Instant>,
    drawn: bool,
}

/// A progress line, or nothing when stderr is not a terminal.
#[derive(Clone)]
pub struct Bar {
    state: Option<Arc<Mutex<State>>>,
}

impl Bar {
    /// A bar for a transfer described by `verb` ("pushed", "pulled").
    pub fn new(verb: &'static str) -> Self {
        let state = std::io::stderr().is_terminal().then(|| {
            Arc::new(Mutex::new(State {
                verb,
                started: Instant::now(),
                last_drawn: None,
                drawn: false,
            }))
        });
        Self { state }
    }

    /// The SDK callback that updates this bar.
    pub fn callback(&self) -> Option<ProgressFn> {
        let bar = self.clone();
        self.state
            .as_ref()
            .map(|_| ProgressFn::new(move |p| bar.update(p)))
    }

    fn update(&self, progress: Progress) {
        let Some(state) = &self.state else { return };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let finished = progress.objects_total == Some(progress.objects_done);
        if !finished
            && state
                .last_drawn
                .is_some_and(|at| now.duration_since(at) < REDRAW_EVERY)
        {
            return;
        }
        state.last_drawn = Some(now);
        state.drawn = true;
        let seconds = now.duration_since(state.started).as_secs_f64().max(1e-3);
        let total = progress
            .objects_total
            .map(|t| format!("/{t}"))
            .unwrap_or_default();
        #[allow(clippy::cast_precision_loss)] // display only
        let (mb, rate) = (
            progress.bytes_done as f64 / 1e6,
            progress.objects_done as f64 / seconds,
        );
        let mut err = std::io::stderr().lock();
        // \r and "erase to end of line": redraw in place.
        let _ = write!(
            err,
            "\r\x1b[2K{} {}{} objects  {mb:.1} MB  {rate:.0} objects/s",
            state.verb, progress.objects_done, total
        );
        let _ = err.flush();
    }

    /// Ends the line so later output starts on its own.
    pub fn finish(&self) {
        let Some(state) = &self.state else { return };
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.drawn {
            eprintln!();
        }
    }
}
