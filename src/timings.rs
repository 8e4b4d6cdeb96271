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

    fn render(&self, total: Duration, peak_kib: Option<u64>) -> String {
        let mut out = String::from("gatelint timings (a stage's time is summed over threads):\n");
        let mut line =
            |name: &str, value: String| out.push_str(&format!("  {name:<44} {value:>11}\n"));
        for ((stage, part), took) in &self.0 {
            let name = if part.is_empty() {
                stage.to_string()
            } else {
                format!("  {stage} {part}")
            };
            line(&name, format!("{:.3} s", took.as_secs_f64()));
        }
        line("total (wall)", format!("{:.3} s", total.as_secs_f64()));
        if let Some(peak) = peak_kib {
            line("peak memory", format!("{:.1} MB", peak as f64 / 1024.0));
        }
        out
    }
}

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
    fn a_stage_sums_its_runs_in_first_run_order() {
        let mut stages = Stages::default();
        stages.add(("parse", ""), Duration::from_millis(1500));
        stages.add(("rules", ""), Duration::from_millis(250));
        stages.add(("rule", "proxy-loop"), Duration::from_millis(200));
        stages.add(("parse", ""), Duration::from_millis(500));
        let text = stages.render(Duration::from_millis(2100), Some(2048));
        let lines: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(lines[0], ["parse", "2.000", "s"]);
        assert_eq!(lines[1], ["rules", "0.250", "s"]);
        assert_eq!(lines[2], ["rule", "proxy-loop", "0.200", "s"]);
        assert_eq!(lines[3], ["total", "(wall)", "2.100", "s"]);
        assert_eq!(lines[4], ["peak", "memory", "2.0", "MB"]);
    }

    #[test]
    fn peak_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_memory_kib().is_some_and(|kib| kib > 0));
        }
    }
}
