//! Progress display of `wait` on stderr (indicatif): a spinner with the status for PAI-DSW
//! and LangStudio, a bar with done/total for the export of a Graph OLAP snapshot.
//!
//! Nothing is drawn when stderr is not a terminal, so logs and pipes stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use snapshots::wait::{Poll, Progress};

const SPINNER: &str = "{spinner} {prefix}: {msg} ({elapsed})";
const BAR: &str = "{spinner} {prefix}: [{bar:30}] {pos}/{len} {msg} ({elapsed})";

/// The progress display of one wait.
#[derive(Debug)]
pub struct WaitProgress {
    bar: ProgressBar,
    has_length: bool,
}

impl WaitProgress {
    /// A display for waiting on `what` (e.g. `PAI-DSW snapshot snp-1`), drawn on stderr
    /// when it is a terminal.
    pub fn new(what: impl Into<String>) -> Self {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self::with_target(what, target)
    }

    /// A display that draws nothing (for tests and the demo's plain output).
    pub fn hidden(what: impl Into<String>) -> Self {
        Self::with_target(what, ProgressDrawTarget::hidden())
    }

    fn with_target(what: impl Into<String>, target: ProgressDrawTarget) -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(style(SPINNER));
        bar.set_prefix(what.into());
        bar.set_message("waiting");
        bar.set_draw_target(target);
        if !bar.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        WaitProgress {
            bar,
            has_length: false,
        }
    }

    /// One poll of a waiter: its status (marked when the spec does not know it) and progress.
    pub fn show(&mut self, poll: &Poll) {
        self.update_with(
            &poll.status,
            poll.known,
            poll.attempt,
            poll.progress.as_ref(),
        );
    }

    /// One poll: the status and, for Graph OLAP, the export progress.
    pub fn update(&mut self, status: &str, attempt: u32, progress: Option<&Progress>) {
        self.update_with(status, true, attempt, progress);
    }

    fn update_with(
        &mut self,
        status: &str,
        known: bool,
        attempt: u32,
        progress: Option<&Progress>,
    ) {
        let mut message = if status.is_empty() {
            "no status yet".to_owned()
        } else {
            crate::output::clean(status)
        };
        if !known && !status.is_empty() {
            message.push_str(" (unknown to the spec, still waiting)");
        }
        if let Some(progress) = progress {
            if let Some(phase) = progress.phase.as_deref().filter(|p| !p.is_empty()) {
                message.push_str(&format!(", {}", crate::output::clean(phase)));
            }
        }
        message.push_str(&format!(", poll {attempt}"));
        self.bar.set_message(message);
        if let Some(progress) = progress.filter(|p| p.total > 0) {
            if !self.has_length {
                self.bar.set_style(style(BAR));
                self.has_length = true;
            }
            self.bar.set_length(progress.total);
            self.bar.set_position(progress.done.min(progress.total));
        }
    }

    /// The last message shown (for tests).
    pub fn message(&self) -> String {
        self.bar.message()
    }

    /// The done/total shown, when a bar is shown.
    pub fn position(&self) -> Option<(u64, u64)> {
        self.has_length
            .then(|| (self.bar.position(), self.bar.length().unwrap_or(0)))
    }

    /// Removes the display (the result is printed on stdout next).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for WaitProgress {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(done: u64, total: u64, phase: Option<&str>) -> Progress {
        let raw: graph_olap::types::SnapshotProgress = serde_json::from_value(serde_json::json!({
            "jobs_total": total, "jobs_pending": 0, "jobs_claimed": 0, "jobs_submitted": 0,
            "jobs_completed": done, "jobs_failed": 0, "jobs": []
        }))
        .expect("decodes");
        let mut progress = Progress::from(raw);
        progress.phase = phase.map(str::to_owned);
        progress
    }

    #[test]
    fn templates_parse() {
        assert!(ProgressStyle::with_template(SPINNER).is_ok());
        assert!(ProgressStyle::with_template(BAR).is_ok());
    }

    #[test]
    fn spinner_shows_the_status_and_the_poll() {
        let mut display = WaitProgress::hidden("PAI-DSW snapshot snp-1");
        display.update("Pushing", 3, None);
        assert_eq!(display.message(), "Pushing, poll 3");
        assert_eq!(display.position(), None);
        display.update("", 4, None);
        assert_eq!(display.message(), "no status yet, poll 4");
        display.update_with("Queued", false, 5, None);
        assert_eq!(
            display.message(),
            "Queued (unknown to the spec, still waiting), poll 5"
        );
    }

    #[test]
    fn bar_shows_done_and_total_once_known() {
        let mut display = WaitProgress::hidden("Graph OLAP snapshot 7");
        display.update("pending", 1, Some(&progress(0, 0, None)));
        assert_eq!(display.position(), None);
        display.update("creating", 2, Some(&progress(2, 5, Some("exporting"))));
        assert_eq!(display.position(), Some((2, 5)));
        assert_eq!(display.message(), "creating, exporting, poll 2");
        display.finish();
    }
}
