//! From the paths on the command line to a set of parsed files and the
//! configurations they form: directory discovery, `nginx -T` dumps, stdin,
//! and `include` resolution with globs, path maps, confinement to the roots
//! the user gave, cycle and depth limits. Each file is read and parsed once,
//! however many configurations include it.

pub mod apache;
pub mod context;
pub mod dump;
pub mod read;

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::finding::{Finding, Severity, checks};
use crate::source::{FileId, SourceFile, Span};
use crate::syntax::{Dialect, NodeIndex, ParsedFile};
pub use context::Context;

/// Includes nested deeper than this are reported, not followed.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// The default `--max-file-size`.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 32 * 1024 * 1024;

/// A `--map FROM=TO`: an include path under FROM is read from TO instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathMap {
    pub from: PathBuf,
    pub to: PathBuf,
}

impl std::str::FromStr for PathMap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (from, to) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not FROM=TO (for example /etc/nginx=deploy/nginx)"))?;
        if from.is_empty() || to.is_empty() {
            return Err(format!("`{s}`: both FROM and TO must be given"));
        }
        Ok(PathMap {
            from: PathBuf::from(from),
            to: PathBuf::from(to),
        })
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    /// nginx's prefix: relative includes resolve against it.
    pub prefix: Option<PathBuf>,
    pub maps: Vec<PathMap>,
    pub allow_outside_roots: bool,
    pub max_file_size: u64,
    /// Split `nginx -T` dumps back into their files (off for crossplane's
    /// output, which reads a dump as one file).
    pub split_dumps: bool,
    /// `--dialect`: every file is read as this server's configuration.
    pub dialect: Option<Dialect>,
    /// Apache's `ServerRoot`, `-D` names, modules and version.
    pub apache: apache::ApacheOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prefix: None,
            maps: Vec::new(),
            allow_outside_roots: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            split_dumps: true,
            dialect: None,
            apache: apache::ApacheOptions::default(),
        }
    }
}

/// What the user asked to lint.
#[derive(Clone, Debug)]
pub enum Input {
    Path(PathBuf),
    /// Text read from standard input, linted as if it were the named file.
    Text {
        name: Option<PathBuf>,
        bytes: Vec<u8>,
    },
}

/// A file as loaded: its text and its tree.
#[derive(Debug)]
pub struct LoadedFile {
    pub source: SourceFile,
    pub tree: ParsedFile,
    pub dialect: Dialect,
}

/// One configuration: a top-level file and everything it includes.
#[derive(Debug, Default)]
pub struct Config {
    pub root: FileId,
    pub prefix: PathBuf,
    /// Every file of this configuration, the root first, in include order.
    pub files: Vec<FileId>,
    /// The context each file's top-level directives sit in.
    pub contexts: HashMap<FileId, Context>,
    /// The files each `include` directive brought in, in nginx's order.
    pub includes: HashMap<(FileId, NodeIndex), Vec<FileId>>,
    /// The root was linted on its own and its context inferred.
    pub inferred_context: bool,
    /// The prefix is a guess: no `--prefix`, and no `nginx.conf` above the root.
    pub prefix_guessed: bool,
    pub dialect: Dialect,
    /// Apache: what the configuration defines and loads, and the
    /// conditional sections whose branch is not taken.
    pub apache: apache::ApacheState,
}

pub struct Workspace {
    pub files: Vec<LoadedFile>,
    pub configs: Vec<Config>,
    pub findings: Vec<Finding>,
    options: Options,
    roots: Vec<PathBuf>,
    /// Files read from disk, by canonical path.
    by_real_path: HashMap<PathBuf, FileId>,
    /// Files that exist only in gatelint's memory (stdin, dumps), by normalised path.
    virtual_files: HashMap<PathBuf, FileId>,
    /// Whether a file was loaded from a dump or stdin rather than disk.
    is_virtual: Vec<bool>,
    /// Files of one glob read and parsed ahead, in parallel: by path, the
    /// text and the tree parsed for the id the file is about to get.
    ahead: HashMap<PathBuf, (read::Text, FileId, ParsedFile)>,
    /// The tree parsed ahead for the file `add_file` is adding, if any.
    next_tree: Option<(FileId, ParsedFile)>,
    /// Canonical paths already found: each path's `readlink` walk is made
    /// once per run, however many steps (discovery, a glob, loading) ask.
    real_paths: HashMap<PathBuf, PathBuf>,
    /// The files each (prefix, prefix guessed, include argument) named,
    /// when resolving it reported nothing.
    resolved_includes: HashMap<(PathBuf, bool, String), Vec<FileId>>,
}

impl Workspace {
    /// Loads every input and resolves the configurations they form.
    pub fn load(inputs: &[Input], options: Options) -> Workspace {
        let mut ws = Workspace {
            files: Vec::new(),
            configs: Vec::new(),
            findings: Vec::new(),
            options,
            roots: Vec::new(),
            by_real_path: HashMap::new(),
            virtual_files: HashMap::new(),
            ahead: HashMap::new(),
            next_tree: None,
            real_paths: HashMap::new(),
            resolved_includes: HashMap::new(),
            is_virtual: Vec::new(),
        };
        ws.set_roots(inputs);
        // (file, explicitly named, directory it was found under)
        let mut candidates: Vec<(FileId, bool, Option<PathBuf>)> = Vec::new();
        for input in inputs {
            match input {
                Input::Path(path) => {
                    if path.is_dir() {
                        let files = ws.discover(path);
                        ws.read_ahead(&files, None);
                        for file in files {
                            if let Some(id) = ws.load_disk(&file, None) {
                                candidates.push((id, false, Some(path.clone())));
                            }
                        }
                    } else if let Some(id) = ws.load_disk(path, None) {
                        candidates.push((id, true, None));
                    }
                }
                Input::Text { name, bytes } => {
                    let display = name.clone().unwrap_or_else(|| PathBuf::from("<stdin>"));
                    let loaded = match read::decode(&display, bytes.clone()) {
                        Ok(text) => ws.load_text(&display, None, text, true, None),
                        Err(finding) => {
                            ws.findings.push(*finding);
                            None
                        }
                    };
                    if let Some(id) = loaded {
                        candidates.push((id, true, None));
                    }
                }
            }
        }
        crate::timings::measure_part("load", "includes", || ws.resolve_tops(candidates));
        ws.report_syntax_errors();
        ws
    }

    /// Each file's syntax errors, once every file has its final dialect.
    fn report_syntax_errors(&mut self) {
        for loaded in &self.files {
            for error in &loaded.tree.errors {
                let mut finding = Finding::at(
                    checks::SYNTAX_ERROR,
                    Severity::Error,
                    error.span,
                    &error.message,
                )
                .label(&error.label);
                if let Some((span, label)) = &error.related {
                    finding = finding.related(*span, label);
                }
                if let Some(help) = &error.help {
                    finding = finding.help(help);
                }
                self.findings.push(finding);
            }
        }
    }

    /// An included file speaks its includer's dialect: a file first read
    /// with the other one (found in a directory, guessed from its text) is
    /// read again.
    fn ensure_dialect(&mut self, id: FileId, dialect: Dialect) {
        if self.options.dialect.is_some() {
            return;
        }
        let file = &mut self.files[id.0 as usize];
        if file.dialect != dialect {
            file.tree = dialect.parse(id, &file.source.text);
            file.dialect = dialect;
        }
    }

    pub fn file(&self, id: FileId) -> &LoadedFile {
        &self.files[id.0 as usize]
    }

    pub fn source(&self, id: FileId) -> &SourceFile {
        &self.file(id).source
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    fn set_roots(&mut self, inputs: &[Input]) {
        let mut roots = Vec::new();
        for input in inputs {
            let dir = match input {
                Input::Path(p) if p.is_dir() => Some(p.clone()),
                Input::Path(p) => p.parent().map(Path::to_path_buf),
                Input::Text { name: Some(n), .. } => n.parent().map(Path::to_path_buf),
                Input::Text { name: None, .. } => None,
            };
            if let Some(dir) = dir {
                let dir = if dir.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    dir
                };
                roots.push(dir);
            }
        }
        roots.extend(self.options.prefix.iter().cloned());
        roots.extend(self.options.maps.iter().map(|m| m.to.clone()));
        self.roots = roots
            .into_iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .collect();
    }

    fn allowed(&self, real: &Path) -> bool {
        self.options.allow_outside_roots || self.roots.iter().any(|r| real.starts_with(r))
    }

    /// The configuration files in a directory, in a stable order. Links that
    /// lead outside the roots, broken links and link loops are reported.
    fn discover(&mut self, dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let walker = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                e.depth() == 0 || !name.starts_with('.') || name == ".htaccess"
            });
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if !entry.file_type().is_file() || !looks_like_nginx_config(entry.path()) {
                        continue;
                    }
                    // `./conf.d/a.conf` reads better as `conf.d/a.conf`.
                    let path = entry.into_path();
                    let path = path
                        .strip_prefix(".")
                        .map(Path::to_path_buf)
                        .unwrap_or(path);
                    match self.real_path(&path) {
                        Ok(real) if !self.allowed(&real) => {
                            let finding = self.linked_outside(&path, &real);
                            self.findings.push(finding);
                        }
                        _ => out.push(path),
                    }
                }
                Err(error) => {
                    let path = error
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| dir.to_path_buf());
                    let finding = walk_error_finding(&path, &error);
                    self.findings.push(finding);
                }
            }
        }
        out
    }

    fn linked_outside(&self, path: &Path, real: &Path) -> Finding {
        Finding::on_path(
            checks::INCLUDE_OUTSIDE_ROOTS,
            Severity::Warning,
            path,
            format!(
                "`{}` links to `{}`, outside the linted paths; not read",
                path.display(),
                real.display()
            ),
        )
        .help("lint the directory it points into too, or pass `--allow-outside-roots`")
    }

    /// Reads and parses a file from disk once; later calls return the same
    /// id. `dialect` is the includer's, if an include brought it in.
    /// `canonicalize`, once per path.
    fn real_path(&mut self, path: &Path) -> std::io::Result<PathBuf> {
        if let Some(real) = self.real_paths.get(path) {
            return Ok(real.clone());
        }
        let real = std::fs::canonicalize(path)?;
        self.real_paths.insert(path.to_path_buf(), real.clone());
        Ok(real)
    }

    /// The dialect a file is read in: the user's, else its includer's, else
    /// what its path and text say.
    fn dialect_for(&self, path: &Path, text: &str, dialect: Option<Dialect>) -> Dialect {
        self.options
            .dialect
            .or(dialect)
            .unwrap_or_else(|| Dialect::detect(path, text))
    }

    fn load_disk(&mut self, path: &Path, dialect: Option<Dialect>) -> Option<FileId> {
        let real = match self.real_path(path) {
            Ok(real) => real,
            Err(error) => {
                self.findings.push(Finding::on_path(
                    checks::FILE_UNREADABLE,
                    Severity::Error,
                    path,
                    format!("cannot read `{}`: {}", path.display(), io_reason(&error)),
                ));
                return None;
            }
        };
        if let Some(&id) = self.by_real_path.get(&real) {
            if let Some(dialect) = dialect {
                self.ensure_dialect(id, dialect);
            }
            return Some(id);
        }
        if let Some((text, id, tree)) = self.ahead.remove(path) {
            // Parsed for the id it gets now; `add_file` takes the tree.
            self.next_tree = Some((id, tree));
            let loaded = self.load_text(path, Some(real), text, false, dialect);
            self.next_tree = None;
            return loaded;
        }
        match crate::timings::measure_part("load", "read", || {
            read::read_path(path, self.options.max_file_size)
        }) {
            Ok(text) => self.load_text(path, Some(real), text, false, dialect),
            Err(finding) => {
                self.findings.push(*finding);
                None
            }
        }
    }

    /// Adds text as one file, or as the files of an `nginx -T` dump (then
    /// the first of them is returned).
    fn load_text(
        &mut self,
        display: &Path,
        real: Option<PathBuf>,
        text: read::Text,
        is_virtual: bool,
        dialect: Option<Dialect>,
    ) -> Option<FileId> {
        if self.options.split_dumps && dump::is_dump(&text.text) {
            let mut first = None;
            for part in dump::split(&text.text) {
                let id = self.add_file(
                    part.path.clone(),
                    part.text,
                    Vec::new(),
                    true,
                    Some(Dialect::Nginx),
                );
                self.virtual_files.insert(normalize(&part.path), id);
                first.get_or_insert(id);
            }
            if let (Some(real), Some(id)) = (real, first) {
                self.by_real_path.insert(real, id);
            }
            return first;
        }
        let invalid_bytes = text.invalid_bytes();
        let first_invalid = text.invalid.first().copied();
        let id = self.add_file(
            display.to_path_buf(),
            text.text,
            text.invalid,
            is_virtual,
            dialect,
        );
        match real {
            Some(real) => {
                self.by_real_path.insert(real, id);
            }
            None => {
                self.virtual_files.insert(normalize(&absolute(display)), id);
            }
        }
        if let Some((at, len)) = first_invalid {
            let span = Span::new(id, at as usize, (at + len) as usize);
            self.findings.push(
                Finding::at(
                    checks::INVALID_UTF8,
                    Severity::Warning,
                    span,
                    format!(
                        "`{}` is not valid UTF-8 ({invalid_bytes} byte{} replaced)",
                        display.display(),
                        if invalid_bytes == 1 { "" } else { "s" }
                    ),
                )
                .label("first invalid byte")
                .help("save the file as UTF-8; gatelint linted it with each invalid byte replaced"),
            );
        }
        Some(id)
    }

    fn add_file(
        &mut self,
        path: PathBuf,
        text: String,
        invalid_utf8: Vec<(u32, u32)>,
        is_virtual: bool,
        dialect: Option<Dialect>,
    ) -> FileId {
        let id = FileId(self.files.len() as u32);
        let dialect = self.dialect_for(&path, &text, dialect);
        let tree = match self.next_tree.take() {
            Some((ahead, tree)) if ahead == id => tree,
            _ => crate::timings::measure_part("load", "parse", || dialect.parse(id, &text)),
        };
        let source = crate::timings::measure_part("load", "line index", || {
            SourceFile::new(path, text).with_invalid_utf8(invalid_utf8)
        });
        self.files.push(LoadedFile {
            source,
            tree,
            dialect,
        });
        self.is_virtual.push(is_virtual);
        id
    }

    /// Makes a configuration of each candidate that no other one includes.
    fn resolve_tops(&mut self, candidates: Vec<(FileId, bool, Option<PathBuf>)>) {
        let mut ordered = candidates;
        // Explicit files first, then each directory's nginx.conf, then the rest:
        // an includer is resolved before the snippets it includes.
        ordered.sort_by_key(|(id, explicit, _)| {
            let path = &self.source(*id).path;
            let is_main = is_main_file(path);
            (!*explicit, !is_main, path.components().count())
        });
        let mut seen = HashSet::new();
        let mut included: HashSet<FileId> = HashSet::new();
        for (id, _, under) in ordered {
            if !seen.insert(id) || included.contains(&id) {
                continue;
            }
            let config = if self.file(id).dialect == Dialect::Apache {
                let (root, guessed) = self.server_root_for(id, under.as_deref());
                self.resolve_apache(id, root, guessed)
            } else {
                let (prefix, guessed) = self.prefix_for(id, under.as_deref());
                self.resolve(id, prefix, guessed)
            };
            included.extend(config.files.iter().skip(1).copied());
            self.configs.push(config);
        }
        // A top resolved before the file that includes it is not a top.
        self.configs.retain(|c| !included.contains(&c.root));
    }

    /// nginx's prefix for a top-level file: `--prefix`, else the nearest
    /// directory up the tree holding an `nginx.conf`, else the file's own.
    /// The flag is true when the prefix is only a guess (no `--prefix`, no
    /// `nginx.conf` found).
    fn prefix_for(&self, id: FileId, under: Option<&Path>) -> (PathBuf, bool) {
        if let Some(prefix) = &self.options.prefix {
            return (prefix.clone(), false);
        }
        let path = &self.source(id).path;
        let own_dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stop = under.map(|u| normalize(&absolute(u)));
        let mut dir = own_dir.clone();
        for _ in 0..5 {
            let main = dir.join("nginx.conf");
            if main.is_file()
                || self
                    .virtual_files
                    .contains_key(&normalize(&absolute(&main)))
            {
                return (dir, false);
            }
            let here = normalize(&absolute(&dir));
            if stop.as_ref() == Some(&here) || here.parent().is_none() {
                break;
            }
            dir = if dir == Path::new(".") || dir.ends_with("..") {
                dir.join("..")
            } else {
                match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                }
            };
        }
        (own_dir, true)
    }

    fn resolve(&mut self, root: FileId, prefix: PathBuf, prefix_guessed: bool) -> Config {
        let root_tree = &self.file(root).tree;
        let is_main_file = self
            .source(root)
            .path
            .file_name()
            .is_some_and(|n| n == "nginx.conf");
        let context = if is_main_file {
            Vec::new()
        } else {
            context::infer(root_tree, &self.source(root).text)
        };
        let mut config = Config {
            root,
            prefix,
            inferred_context: !context.is_empty(),
            prefix_guessed,
            ..Config::default()
        };
        let mut expanded = HashSet::new();
        let mut stack = vec![root];
        self.visit(&mut config, root, context, &mut stack, &mut expanded);
        config
    }

    fn visit(
        &mut self,
        config: &mut Config,
        file: FileId,
        context: Context,
        stack: &mut Vec<FileId>,
        expanded: &mut HashSet<FileId>,
    ) {
        // A file already expanded is already listed, with its context.
        if !expanded.insert(file) {
            return;
        }
        config.files.push(file);
        config
            .contexts
            .entry(file)
            .or_insert_with(|| context.clone());
        let loaded = self.file(file);
        let text = loaded.source.text.clone();
        let includes: Vec<IncludeSite> = loaded
            .tree
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_directive() && loaded.tree.value(&text, &n.name) == "include")
            .map(|(i, n)| {
                let args = n
                    .args
                    .iter()
                    .map(|a| (loaded.tree.value(&text, a).to_string(), a.span))
                    .collect();
                let ctx = context::at_node(&loaded.tree, &text, i as NodeIndex, &context);
                (i as NodeIndex, args, n.name.span, ctx)
            })
            .collect();
        for (node, args, name_span, include_context) in includes {
            let [(pattern, arg_span)] = args.as_slice() else {
                self.findings.push(
                    Finding::at(
                        checks::SYNTAX_ERROR,
                        Severity::Error,
                        name_span,
                        format!("`include` takes exactly one argument, not {}", args.len()),
                    )
                    .label("this include")
                    .help("include one file or one glob per directive"),
                );
                continue;
            };
            let targets =
                self.include_targets(&config.prefix, config.prefix_guessed, pattern, *arg_span);
            config.includes.insert((file, node), targets.clone());
            for target in targets {
                if !self.may_follow(stack, target, *arg_span, Dialect::Nginx) {
                    continue;
                }
                stack.push(target);
                self.visit(config, target, include_context.clone(), stack, expanded);
                stack.pop();
            }
        }
    }

    /// Whether an include may be followed into `target`: not when it is
    /// already being read (a cycle) or includes are nested too deep; both
    /// are reported on the include's argument.
    fn may_follow(
        &mut self,
        stack: &[FileId],
        target: FileId,
        span: Span,
        dialect: Dialect,
    ) -> bool {
        if let Some(at) = stack.iter().position(|&f| f == target) {
            let chain: Vec<String> = stack[at..]
                .iter()
                .chain(std::iter::once(&target))
                .map(|f| self.source(*f).display_name())
                .collect();
            let consequence = match dialect {
                Dialect::Nginx => "nginx would recurse until it runs out of file descriptors",
                Dialect::Apache => {
                    "httpd refuses to start (\"Exceeded maximum include depth of 128, There appears to be a recursion\")"
                }
            };
            self.findings.push(
                Finding::at(
                    checks::INCLUDE_CYCLE,
                    Severity::Error,
                    span,
                    format!("include cycle: {}", chain.join(" → ")),
                )
                .label("includes a file that is already being read")
                .help(format!("{consequence}; remove one include of the cycle")),
            );
            return false;
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            self.findings.push(
                Finding::at(
                    checks::INCLUDE_TOO_DEEP,
                    Severity::Error,
                    span,
                    format!("includes are nested more than {MAX_INCLUDE_DEPTH} levels deep; not followed"),
                )
                .label("this include is not followed"),
            );
            return false;
        }
        true
    }

    /// The files one `include` argument names, read as needed. Reports a
    /// missing file (globs may match nothing, as in nginx) and any path
    /// outside the roots.
    fn include_targets(
        &mut self,
        prefix: &Path,
        prefix_guessed: bool,
        pattern: &str,
        span: Span,
    ) -> Vec<FileId> {
        // The same snippet is often included from every server: resolve it
        // once. A resolution that reported something is not kept, so that
        // each include site gets its own finding.
        let key = (prefix.to_path_buf(), prefix_guessed, pattern.to_string());
        if let Some(targets) = self.resolved_includes.get(&key) {
            return targets.clone();
        }
        let reported = self.findings.len();
        let targets = self.resolve_include(prefix, prefix_guessed, pattern, span);
        if self.findings.len() == reported {
            self.resolved_includes.insert(key, targets.clone());
        }
        targets
    }

    fn resolve_include(
        &mut self,
        prefix: &Path,
        prefix_guessed: bool,
        pattern: &str,
        span: Span,
    ) -> Vec<FileId> {
        let written = Path::new(pattern);
        let full = if written.is_absolute() {
            written.to_path_buf()
        } else {
            prefix.join(written)
        };
        let full = normalize(&self.apply_maps(&full));
        if has_glob_magic(pattern) {
            return self.glob_targets(&full, pattern, prefix, span, Dialect::Nginx, false);
        }
        if let Some(&id) = self.virtual_files.get(&normalize(&absolute(&full))) {
            return vec![id];
        }
        match self.real_path(&full) {
            Err(_) if prefix_guessed && !written.is_absolute() => {
                self.findings.push(
                    Finding::at(
                        checks::INCLUDE_NOT_FOUND,
                        Severity::Warning,
                        span,
                        format!("included file `{}` not found", full.display()),
                    )
                    .label("relative to a guessed prefix")
                    .help(format!(
                        "no nginx.conf above this file says where nginx's prefix is, so gatelint tried `{}`; pass `--prefix` with the directory nginx reads its configuration from (often /etc/nginx)",
                        normalize(&absolute(prefix)).display()
                    )),
                );
                Vec::new()
            }
            Err(_) => {
                let mut finding = Finding::at(
                    checks::INCLUDE_NOT_FOUND,
                    Severity::Error,
                    span,
                    format!("included file `{}` does not exist", full.display()),
                )
                .label("nginx refuses to start: open() failed (2: No such file or directory)");
                finding = finding.help(self.missing_help(written, &full, prefix));
                self.findings.push(finding);
                Vec::new()
            }
            Ok(real) if !self.allowed(&real) => {
                self.outside_roots(&full, prefix, span);
                Vec::new()
            }
            Ok(_) => self
                .load_disk(&full, Some(Dialect::Nginx))
                .into_iter()
                .collect(),
        }
    }

    /// Reads and parses new files (a glob's matches, a directory's files) on
    /// every core at once, for the ids they will get when the caller's loop
    /// adds them in order, each in the dialect `add_file` will choose.
    /// Files already read, files that cannot be read, and everything from
    /// the first `nginx -T` dump on are left to the loop.
    fn read_ahead(&mut self, paths: &[PathBuf], dialect: Option<Dialect>) {
        // What an earlier call left unused (a path it skipped) goes.
        self.ahead.clear();
        let mut fresh: Vec<&PathBuf> = Vec::new();
        // Two links to one file (sites-enabled) get one id, as in the loop.
        let mut seen_real = HashSet::new();
        for path in paths {
            if path.is_dir() {
                continue;
            }
            if let Ok(real) = self.real_path(path) {
                if self.allowed(&real)
                    && !self.by_real_path.contains_key(&real)
                    && seen_real.insert(real)
                {
                    fresh.push(path);
                }
            }
        }
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        if fresh.len() < 2 || workers < 2 {
            return;
        }
        let max_size = self.options.max_file_size;
        let base = self.files.len();
        let texts: Vec<Option<read::Text>> = crate::timings::measure_part("load", "read", || {
            fresh
                .iter()
                .map(|p| read::read_path(p, max_size).ok())
                .collect()
        });
        // Ids are handed out in order to the files that load: one that
        // cannot be read takes none (the loop reports it), and a dump takes
        // one per file inside, so the batch stops before the first dump.
        let mut batch: Vec<(&PathBuf, read::Text, Dialect)> = Vec::new();
        for (path, text) in fresh.into_iter().zip(texts) {
            let Some(text) = text else {
                continue;
            };
            if self.options.split_dumps && dump::is_dump(&text.text) {
                break;
            }
            let dialect = self.dialect_for(path, &text.text, dialect);
            batch.push((path, text, dialect));
        }
        if batch.len() < 2 {
            return;
        }
        let id = |i: usize| FileId((base + i) as u32);
        let numbered: Vec<(usize, &read::Text, Dialect)> = batch
            .iter()
            .enumerate()
            .map(|(i, (_, text, dialect))| (i, text, *dialect))
            .collect();
        let trees = crate::parallel::in_order(&numbered, |&(i, text, dialect)| {
            crate::timings::measure_part("load", "parse", || dialect.parse(id(i), &text.text))
        });
        drop(numbered);
        for (i, ((path, text, _), tree)) in batch.into_iter().zip(trees).enumerate() {
            self.ahead.insert(path.clone(), (text, id(i), tree));
        }
    }

    fn glob_targets(
        &mut self,
        full: &Path,
        pattern: &str,
        prefix: &Path,
        span: Span,
        dialect: Dialect,
        optional: bool,
    ) -> Vec<FileId> {
        let text = full.to_string_lossy().to_string();
        let Ok(compiled) = glob::Pattern::new(&text) else {
            self.findings.push(
                Finding::at(
                    checks::INCLUDE_NOT_FOUND,
                    Severity::Error,
                    span,
                    format!("`{pattern}` is not a valid glob pattern"),
                )
                .label(format!(
                    "{} refuses to start: the pattern is invalid",
                    dialect.server()
                )),
            );
            return Vec::new();
        };
        let options = glob_options();
        let absolute_pattern =
            glob::Pattern::new(&normalize(&absolute(full)).to_string_lossy()).unwrap_or(compiled);
        let mut matches: Vec<(PathBuf, FileId)> = self
            .virtual_files
            .iter()
            .filter(|(path, _)| absolute_pattern.matches_path_with(path, options))
            .map(|(_, id)| (self.source(*id).path.clone(), *id))
            .collect();
        let base = glob_base(full);
        let base_allowed = self.real_path(&base).map(|b| self.allowed(&b));
        match base_allowed {
            Ok(true) => {
                let paths: Vec<PathBuf> = glob::glob_with(&text, options)
                    .map(|paths| paths.filter_map(Result::ok).collect())
                    .unwrap_or_default();
                self.read_ahead(&paths, Some(dialect));
                for path in paths {
                    if path.is_dir() || matches.iter().any(|(p, _)| *p == path) {
                        continue;
                    }
                    match self.real_path(&path) {
                        Ok(real) if !self.allowed(&real) => {
                            self.outside_roots(&path, prefix, span);
                            continue;
                        }
                        Ok(_) => {}
                        Err(_) => {
                            self.broken_match(&path, pattern, span, dialect, optional);
                            continue;
                        }
                    }
                    if let Some(id) = self.load_disk(&path, Some(dialect)) {
                        matches.push((path, id));
                    }
                }
            }
            Ok(false) if matches.is_empty() => self.outside_roots(full, prefix, span),
            _ => {}
        }
        matches.sort_by(|a, b| a.0.cmp(&b.0));
        matches.into_iter().map(|(_, id)| id).collect()
    }

    /// A glob matched a symbolic link whose target is gone (a module or site
    /// removed without its `-enabled` link): the server cannot open it.
    /// Apache's `IncludeOptional` skips it silently, so a site or module
    /// is missing; anything else stops the server.
    fn broken_match(
        &mut self,
        path: &Path,
        pattern: &str,
        span: Span,
        dialect: Dialect,
        optional: bool,
    ) {
        let target = std::fs::read_link(path)
            .map(|t| format!(" to `{}`", t.display()))
            .unwrap_or_default();
        let (severity, label) = if optional {
            (
                Severity::Warning,
                "httpd skips it: `IncludeOptional` ignores files it cannot open".to_string(),
            )
        } else {
            (
                Severity::Error,
                format!(
                    "{} refuses to start: it cannot open this file",
                    dialect.server()
                ),
            )
        };
        self.findings.push(
            Finding::at(
                checks::INCLUDE_NOT_FOUND,
                severity,
                span,
                format!(
                    "`{}`, matched by `{pattern}`, is a broken symbolic link{target}",
                    path.display()
                ),
            )
            .label(label)
            .help("remove the link, or create the file it points to"),
        );
    }

    fn outside_roots(&mut self, path: &Path, prefix: &Path, span: Span) {
        let help = match self.map_suggestion(path, prefix) {
            Some(suggestion) => format!("{suggestion}; or pass `--allow-outside-roots` to read the real one"),
            None => "gatelint reads only under the linted paths, `--prefix` and `--map` targets; map the directory this stands for with `--map`, or pass `--allow-outside-roots`".to_string(),
        };
        self.findings.push(
            Finding::at(
                checks::INCLUDE_OUTSIDE_ROOTS,
                Severity::Warning,
                span,
                format!(
                    "`{}` is outside the linted paths and was not read",
                    path.display()
                ),
            )
            .label("not followed")
            .help(help),
        );
    }

    /// For `/etc/nginx/x` when a linted directory has an `x` of its own:
    /// "map it with `--map /etc/nginx=deploy/nginx`".
    fn map_suggestion(&self, path: &Path, prefix: &Path) -> Option<String> {
        let mut dirs: Vec<&Path> = path.ancestors().skip(1).collect();
        dirs.pop();
        let prefix = std::fs::canonicalize(prefix).ok();
        for root in prefix.iter().chain(&self.roots) {
            for dir in &dirs {
                let Ok(rest) = path.strip_prefix(dir) else {
                    continue;
                };
                let rest_first = rest.components().next()?;
                // Mapping a directory onto itself would change nothing.
                let same = std::fs::canonicalize(dir).is_ok_and(|d| d == *root);
                if root.join(rest_first).exists() && !dir.as_os_str().is_empty() && !same {
                    return Some(format!(
                        "if `{}` stands for `{}`, map it with `--map {}={}`",
                        relative_to_cwd(root).display(),
                        dir.display(),
                        dir.display(),
                        relative_to_cwd(root).display()
                    ));
                }
            }
        }
        None
    }

    fn missing_help(&self, written: &Path, full: &Path, prefix: &Path) -> String {
        if written.is_absolute() {
            match self.map_suggestion(full, prefix) {
                Some(s) => format!("{s}; or fix the path"),
                None => {
                    "fix the path, or create the file; globs (`*.conf`) may match nothing".into()
                }
            }
        } else {
            format!(
                "relative includes resolve against nginx's prefix, here `{}`; set it with `--prefix` if that is wrong",
                normalize(&absolute(prefix)).display()
            )
        }
    }

    fn apply_maps(&self, path: &Path) -> PathBuf {
        let mut best: Option<(&PathMap, usize)> = None;
        for map in &self.options.maps {
            if path.starts_with(&map.from) {
                let depth = map.from.components().count();
                if best.is_none_or(|(_, d)| depth > d) {
                    best = Some((map, depth));
                }
            }
        }
        match best {
            Some((map, _)) => {
                let rest = path.strip_prefix(&map.from).unwrap_or(Path::new(""));
                if rest.as_os_str().is_empty() {
                    map.to.clone()
                } else {
                    map.to.join(rest)
                }
            }
            None => path.to_path_buf(),
        }
    }

    /// For each included file, the `include` argument that first brings it
    /// in (configurations in order), to show "included from here".
    pub fn include_parents(&self) -> HashMap<FileId, Span> {
        let mut parents = HashMap::new();
        for config in &self.configs {
            let mut edges: Vec<(&(FileId, NodeIndex), &Vec<FileId>)> =
                config.includes.iter().collect();
            edges.sort_by_key(|((file, node), _)| (*file, *node));
            for ((file, node), targets) in edges {
                let tree = &self.file(*file).tree;
                let span = tree
                    .node(*node)
                    .args
                    .first()
                    .map_or(tree.node(*node).span, |a| a.span);
                for &target in targets {
                    if target != config.root {
                        parents.entry(target).or_insert(span);
                    }
                }
            }
        }
        parents
    }

    /// The includes leading to `file`, innermost first.
    pub fn include_chain(parents: &HashMap<FileId, Span>, file: FileId) -> Vec<Span> {
        let mut chain: Vec<Span> = Vec::new();
        let mut current = file;
        while let Some(&span) = parents.get(&current) {
            if chain.iter().any(|s| s.file == span.file) || chain.len() > MAX_INCLUDE_DEPTH {
                break;
            }
            chain.push(span);
            current = span.file;
        }
        chain
    }

    /// Whether a file came from stdin or a dump rather than disk.
    pub fn is_virtual(&self, id: FileId) -> bool {
        self.is_virtual[id.0 as usize]
    }
}

/// An `include` directive: its node, its arguments' values and spans, the
/// span of its name, and the context inside which it includes.
type IncludeSite = (NodeIndex, Vec<(String, Span)>, Span, Context);

fn glob_options() -> glob::MatchOptions {
    glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        // glob(3), which nginx uses, never lets `*` match a leading dot.
        require_literal_leading_dot: true,
    }
}

/// nginx treats an include as a glob when it has `*`, `?` or `[`.
pub fn has_glob_magic(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// The deepest directory of a glob pattern with no magic in it.
fn glob_base(pattern: &Path) -> PathBuf {
    let mut base = PathBuf::new();
    for component in pattern.components() {
        if has_glob_magic(&component.as_os_str().to_string_lossy()) {
            break;
        }
        base.push(component);
    }
    base
}

/// What a failed step of a directory walk means for the user.
fn walk_error_finding(path: &Path, error: &walkdir::Error) -> Finding {
    if let Some(ancestor) = error.loop_ancestor() {
        return Finding::on_path(
            checks::DIRECTORY_LOOP,
            Severity::Warning,
            path,
            format!("`{}` links back to `{}`; not followed", path.display(), ancestor.display()),
        )
        .help("a symbolic link to its own parent makes the tree endless; remove it or lint a narrower path");
    }
    if let Ok(target) = std::fs::read_link(path) {
        if !path.exists() {
            return Finding::on_path(
                checks::FILE_UNREADABLE,
                Severity::Warning,
                path,
                format!("`{}` is a broken symbolic link to `{}`", path.display(), target.display()),
            )
            .help("nginx fails to start if it includes this file; remove the link or create its target");
        }
    }
    Finding::on_path(
        checks::FILE_UNREADABLE,
        Severity::Error,
        path,
        format!("cannot read `{}`: {}", path.display(), io_reason(error)),
    )
}

fn io_reason(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    if text.contains("Permission denied") {
        "permission denied".into()
    } else if text.contains("No such file") {
        "it does not exist".into()
    } else {
        text
    }
}

/// Looks like an nginx configuration: `*.conf` and friends, the files nginx
/// ships, and anything in the directories sites and snippets live in.
pub fn looks_like_nginx_config(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("conf" | "nginx" | "vhost" | "types")) {
        return true;
    }
    if matches!(name.as_ref(), "apache2.conf" | "httpd.conf" | ".htaccess") {
        return true;
    }
    // Apache's `mods-available/proxy.load`.
    let parent = path.parent().and_then(|p| p.file_name());
    if ext.as_deref() == Some("load")
        && parent.is_some_and(|d| d.to_string_lossy().starts_with("mods-"))
    {
        return true;
    }
    if matches!(
        name.as_ref(),
        "nginx.conf"
            | "mime.types"
            | "fastcgi_params"
            | "scgi_params"
            | "uwsgi_params"
            | "proxy_params"
    ) {
        return true;
    }
    let in_config_dir = path.parent().and_then(|p| p.file_name()).is_some_and(|d| {
        matches!(
            d.to_string_lossy().as_ref(),
            "sites-available"
                | "sites-enabled"
                | "conf.d"
                | "snippets"
                | "vhosts"
                | "vhosts.d"
                | "http.d"
                | "stream.d"
        )
    });
    in_config_dir && ext.is_none()
}

/// The file a server starts from: `nginx.conf`, `apache2.conf`, `httpd.conf`.
pub fn is_main_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "nginx.conf" || n == "apache2.conf" || n == "httpd.conf")
}

/// An absolute form of `path` without touching the file system.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Removes `.` and resolves `..` lexically, as glob and nginx see a path.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to the working directory when it is under it.
pub fn relative_to_cwd(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_take_the_longest_prefix() {
        let ws = Workspace::load(
            &[],
            Options {
                maps: vec![
                    "/etc/nginx=a".parse().unwrap(),
                    "/etc/nginx/conf.d=b".parse().unwrap(),
                ],
                ..Options::default()
            },
        );
        assert_eq!(
            ws.apply_maps(Path::new("/etc/nginx/conf.d/x.conf")),
            PathBuf::from("b/x.conf")
        );
        assert_eq!(
            ws.apply_maps(Path::new("/etc/nginx/mime.types")),
            PathBuf::from("a/mime.types")
        );
        assert_eq!(
            ws.apply_maps(Path::new("/etc/other")),
            PathBuf::from("/etc/other")
        );
    }

    #[test]
    fn bad_maps_are_explained() {
        assert!("nope".parse::<PathMap>().is_err());
        assert!("=x".parse::<PathMap>().is_err());
    }

    #[test]
    fn candidates() {
        assert!(looks_like_nginx_config(Path::new("a/b.conf")));
        assert!(looks_like_nginx_config(Path::new(
            "x/sites-enabled/default"
        )));
        assert!(!looks_like_nginx_config(Path::new("x/README.md")));
        assert!(!looks_like_nginx_config(Path::new(
            "x/sites-enabled/notes.txt"
        )));
    }

    #[test]
    fn normalizing() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("../a/./b")), PathBuf::from("../a/b"));
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(glob_base(Path::new("/a/b/*.conf")), PathBuf::from("/a/b"));
    }
}
