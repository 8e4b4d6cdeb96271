//! `--timings`: how long each stage of a run took and the peak memory,
//! printed to standard error, so that a slow run can be explained without a
//! profiler (and the benchmark notes can quote the split).
//!
//! Stages run on several threads at once (files are parsed in parallel), so
//! a stage's figure is the time summed over the threads that ran it; the
//! total is wall time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static STAGES: Mutex<Stages> = Mutex::new(Stages(Vec::new()));

/// Time per stage and part (a rule's name; empty for the stage as a
/// whole), in the order they first ran.
#[derive(Clone, Debug, Default)]
struct Stages(Vec<((&'static str, &'static str), Duration)>);

impl Stages {
    fn add(&mut self, stage: (&'static str, &'static str), took: Duration) {
        match self.0.iter_mut().find(|(name, _)| *name == stage) {
            Some((_, total)) => *total += took,
            None => self.0.push((stage, took)),
        }
    }

    /// Each stage in the order it first ran, its parts under it, slowest
    /// first (at most `SHOWN_PARTS`, the rest summed on one line).
    fn render(&self, total: Duration, peak_kib: Option<u64>) -> String {
        let mut lines: Vec<(String, String)> = Vec::new();
        let seconds = |d: &Duration| format!("{:.3} s", d.as_secs_f64());
        let mut stages: Vec<&str> = Vec::new();
        for ((stage, _), _) in &self.0 {
            if !stages.contains(stage) {
                stages.push(stage);
            }
        }
        for stage in stages {
            if let Some((_, took)) = self
                .0
                .iter()
                .find(|((s, p), _)| *s == stage && p.is_empty())
            {
                lines.push((stage.to_string(), seconds(took)));
            }
            let mut parts: Vec<&((&str, &str), Duration)> = self
                .0
                .iter()
                .filter(|((s, p), _)| *s == stage && !p.is_empty())
                .collect();
            parts.sort_by_key(|part| std::cmp::Reverse(part.1));
            for ((_, part), took) in parts.iter().take(SHOWN_PARTS) {
                lines.push((format!("  {part}"), seconds(took)));
            }
            if parts.len() > SHOWN_PARTS {
                let rest: Duration = parts[SHOWN_PARTS..].iter().map(|(_, d)| *d).sum();
                let label = format!("  {} more", parts.len() - SHOWN_PARTS);
                lines.push((label, seconds(&rest)));
            }
        }
        lines.push(("total (wall)".into(), seconds(&total)));
        if let Some(peak) = peak_kib {
            lines.push((
                "peak memory".into(),
                format!("{:.1} MB", peak as f64 / 1024.0),
            ));
        }
        let width = lines
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let mut out =
            String::from("gatelint timings (work on several threads is summed over them):\n");
        for (label, value) in lines {
            out.push_str(&format!("  {label:<width$}  {value:>10}\n"));
        }
        out
    }
}

/// A stage's parts shown one by one (the slowest); the rest share a line.
const SHOWN_PARTS: usize = 5;

/// Starts recording; until this is called `measure` only runs its closure.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Runs `work`, adding its duration to `stage` when timings are on.
pub fn measure<T>(stage: &'static str, work: impl FnOnce() -> T) -> T {
    measure_part(stage, "", work)
}

/// Like `measure`, for one part of a stage (a rule), shown under it.
pub fn measure_part<T>(stage: &'static str, part: &'static str, work: impl FnOnce() -> T) -> T {
    if !ENABLED.load(Ordering::Relaxed) {
        return work();
    }
    let started = Instant::now();
    let result = work();
    if let Ok(mut stages) = STAGES.lock() {
        stages.add((stage, part), started.elapsed());
    }
    result
}

/// The report, or nothing when timings are off.
pub fn report(total: Duration) -> Option<String> {
    if !ENABLED.load(Ordering::Relaxed) {
        return None;
    }
    let stages = STAGES.lock().map(|s| s.clone()).unwrap_or_default();
    Some(stages.render(total, peak_memory_kib()))
}

/// The process's peak resident memory (Linux's `VmHWM`).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_in_run_order_with_their_slowest_parts_under_them() {
        let mut stages = Stages::default();
        let ms = Duration::from_millis;
        stages.add(("load", "parse"), ms(1500));
        stages.add(("load", ""), ms(900));
        stages.add(("load", "parse"), ms(500));
        for (i, rule) in ["a", "b", "c", "d", "e", "f", "g"].into_iter().enumerate() {
            stages.add(("rules", rule), ms(10 * (i as u64 + 1)));
        }
        stages.add(("rules", ""), ms(300));
        let text = stages.render(ms(2100), Some(2048));
        let lines: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(lines[0], ["load", "0.900", "s"]);
        assert_eq!(lines[1], ["parse", "2.000", "s"]);
        assert_eq!(lines[2], ["rules", "0.300", "s"]);
        assert_eq!(lines[3], ["g", "0.070", "s"]);
        assert_eq!(lines[7], ["c", "0.030", "s"]);
        assert_eq!(lines[8], ["2", "more", "0.030", "s"]);
        assert_eq!(lines[9], ["total", "(wall)", "2.100", "s"]);
        assert_eq!(lines[10], ["peak", "memory", "2.0", "MB"]);
        // Values line up whatever the labels' lengths.
        let ends: Vec<usize> = text.lines().skip(1).map(str::len).collect();
        assert!(ends.windows(2).all(|w| w[0] == w[1]), "{text}");
    }

    #[test]
    fn peak_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_memory_kib().is_some_and(|kib| kib > 0));
        }
    }
}
