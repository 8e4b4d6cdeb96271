//! `gatelint diagnose`: reads nginx and httpd error logs (plain or gzip,
//! streamed line by line), keeps the lines that mean a 502/503/504 or a
//! refused start, groups them by cause and backend, and maps each group to
//! the directive in the configuration that sent the requests there.

pub mod cause;
pub mod line;
pub mod map;
pub mod report;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};

use cause::Cause;
use line::{Event, LineReader, LogTarget};

use crate::syntax::Dialect;

/// How many distinct servers and requests a group remembers.
const KEEP: usize = 5;

/// Failures of one cause at one backend.
#[derive(Clone, Debug)]
pub struct Group {
    pub dialect: Dialect,
    pub cause: Cause,
    pub target: LogTarget,
    pub count: u64,
    pub first: String,
    pub last: String,
    /// `server_name`s and Host headers that were affected (at most a few).
    pub servers: BTreeSet<String>,
    pub requests: Vec<String>,
    /// A path the failing requests asked for, to tell routes apart.
    pub path: Option<String>,
    /// The first line of the group, as written.
    pub sample: String,
    pub detail: Option<String>,
}

/// Everything read from the logs.
#[derive(Default)]
pub struct Reading {
    pub lines: u64,
    pub matched: u64,
    pub groups: Vec<Group>,
    index: HashMap<(Dialect, Cause, LogTarget), usize>,
    reader: LineReader,
}

impl Reading {
    /// Takes one line of a log.
    pub fn take(&mut self, text: &str) {
        self.lines += 1;
        let Some(event) = self.reader.read(text) else {
            return;
        };
        self.matched += 1;
        self.add(event, text);
    }

    fn add(&mut self, event: Event, text: &str) {
        let key = (event.dialect, event.cause, event.target.clone());
        let index = *self.index.entry(key).or_insert_with(|| {
            self.groups.push(Group {
                dialect: event.dialect,
                cause: event.cause,
                target: event.target.clone(),
                count: 0,
                first: event.time.clone(),
                last: String::new(),
                servers: BTreeSet::new(),
                requests: Vec::new(),
                path: None,
                sample: text.trim_end().to_string(),
                detail: event.detail.clone(),
            });
            self.groups.len() - 1
        });
        let group = &mut self.groups[index];
        group.count += 1;
        group.last = event.time;
        for name in [event.server, event.host].into_iter().flatten() {
            if group.servers.len() < KEEP {
                group.servers.insert(name);
            }
        }
        if let Some(request) = event.request {
            if group.requests.len() < KEEP && !group.requests.contains(&request) {
                group.requests.push(request);
            }
        }
        if group.path.is_none() {
            group.path = event.path;
        }
    }

    /// Reads a whole log (gzip or plain), line by line.
    pub fn read_log(&mut self, input: impl Read) -> std::io::Result<()> {
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        if gzip {
            let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
            self.read_lines(BufReader::with_capacity(1 << 16, decoder))
        } else {
            self.read_lines(buffered)
        }
    }

    fn read_lines(&mut self, mut input: impl BufRead) -> std::io::Result<()> {
        // Error logs are text: a NUL in the first block means something else
        // was passed (a binary, a core dump), whose strings must not count.
        if input.fill_buf()?.iter().take(8192).any(|&b| b == 0) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a binary file, not an error log",
            ));
        }
        let mut line = Vec::with_capacity(512);
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            match std::str::from_utf8(&line) {
                Ok(text) => self.take(text),
                Err(_) => self.take(&String::from_utf8_lossy(&line)),
            }
        }
    }

    /// The groups, the most frequent first.
    pub fn sorted_groups(&self) -> Vec<&Group> {
        let mut groups: Vec<&Group> = self.groups.iter().collect();
        groups.sort_by(|a, b| b.count.cmp(&a.count).then(a.cause.cmp(&b.cause)));
        groups
    }

    /// The servers the logs came from.
    pub fn dialects(&self) -> BTreeSet<Dialect> {
        self.groups.iter().map(|g| g.dialect).collect()
    }
}
