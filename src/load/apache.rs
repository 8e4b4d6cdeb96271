//! Apache httpd's configuration as httpd reads it: in document order, with
//! `Define`/`${NAME}` substitution, `LoadModule` tracked as it happens, the
//! `<IfDefine>`, `<IfModule>` and `<IfVersion>` sections evaluated, and
//! `Include`/`IncludeOptional` (files, directories, globs) resolved against
//! `ServerRoot` when they are reached. A branch not taken is still parsed
//! (its syntax errors are reported) but neither followed nor modelled.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{Config, Context, Workspace, absolute, has_glob_magic, is_main_file, normalize};
use crate::finding::{Finding, Severity, checks};
use crate::source::{FileId, Span};
use crate::syntax::{Dialect, NodeIndex};

/// httpd 2.4's current release, the default `--apache-version`.
pub const DEFAULT_VERSION: [u32; 3] = [2, 4, 67];

/// Modules compiled into Debian's and RHEL's httpd (`apache2 -l`): always
/// loaded, never named by `LoadModule`.
const BUILT_IN: &[&str] = &[
    "core",
    "so",
    "watchdog",
    "http",
    "log_config",
    "logio",
    "version",
    "unixd",
];

#[derive(Clone, Debug)]
pub struct ApacheOptions {
    /// `--server-root`.
    pub server_root: Option<PathBuf>,
    /// `-D NAME[=VALUE]`.
    pub defines: Vec<String>,
    /// `--apache-modules`: modules loaded besides those the files load.
    pub modules: Vec<String>,
    pub version: [u32; 3],
}

impl Default for ApacheOptions {
    fn default() -> Self {
        ApacheOptions {
            server_root: None,
            defines: Vec::new(),
            modules: Vec::new(),
            version: DEFAULT_VERSION,
        }
    }
}

/// What one Apache configuration defines and loads.
#[derive(Clone, Debug, Default)]
pub struct ApacheState {
    /// `Define` and `-D`, with Debian's `envvars` beneath them.
    pub defines: HashMap<String, String>,
    /// Loaded modules by short name (`proxy_http` for `proxy_http_module`
    /// and `mod_proxy_http.c`), with the `LoadModule` that loaded each.
    pub modules: HashMap<String, Option<Span>>,
    /// Whether the configuration loads modules itself: a site linted alone
    /// does not say which modules its server has.
    pub modules_known: bool,
    /// Conditional sections whose branch is not taken.
    pub inactive: HashSet<(FileId, NodeIndex)>,
    pub version: [u32; 3],
}

impl ApacheState {
    pub fn has_module(&self, short: &str) -> bool {
        self.modules.contains_key(short)
    }

    /// `${NAME}` replaced by its definition; undefined names stay as written,
    /// as httpd leaves them (with a warning at startup).
    pub fn substitute(&self, text: &str) -> String {
        if !text.contains("${") {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            match after.find('}') {
                Some(end) => {
                    let name = &after[..end];
                    match self.defines.get(name) {
                        Some(value) => out.push_str(value),
                        None => out.push_str(&rest[at..at + 3 + end]),
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[at..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// A module's short name from what configurations call it:
/// `proxy_http_module`, `mod_proxy_http.c`, `mod_proxy_http.so`.
pub fn module_short_name(name: &str) -> String {
    let name = name.rsplit('/').next().unwrap_or(name);
    let name = name.strip_prefix("mod_").unwrap_or(name);
    let name = name
        .strip_suffix(".c")
        .or_else(|| name.strip_suffix(".so"))
        .or_else(|| name.strip_suffix("_module"))
        .unwrap_or(name);
    name.to_ascii_lowercase()
}

/// Sections httpd evaluates while reading; they are not blocks of their own.
pub const CONDITIONAL_SECTIONS: &[&str] = &[
    "ifmodule",
    "ifdefine",
    "ifversion",
    "iffile",
    "ifdirective",
    "ifsection",
];

/// One directive as the walk needs it, copied out of the tree.
struct Step {
    node: NodeIndex,
    name: String,
    args: Vec<(String, Span)>,
    name_span: Span,
    children: Option<Vec<NodeIndex>>,
}

impl Workspace {
    /// Apache's `ServerRoot` for a top-level file: `--server-root`, else the
    /// file's `ServerRoot`, else the directory of the nearest `apache2.conf`
    /// or `httpd.conf` (RHEL keeps it in `conf/`, below the root).
    pub(super) fn server_root_for(&self, id: FileId, under: Option<&Path>) -> (PathBuf, bool) {
        if let Some(root) = &self.options.apache.server_root {
            return (root.clone(), false);
        }
        let tree = &self.file(id).tree;
        let text = &self.source(id).text;
        let declared = tree
            .directives(&tree.roots)
            .find(|(_, n)| tree.value(text, &n.name) == "serverroot")
            .and_then(|(_, n)| n.args.first().map(|a| tree.value(text, a).to_string()));
        if let Some(root) = declared {
            return (PathBuf::from(root), false);
        }
        let path = self.source(id).path.clone();
        let own_dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stop = under.map(|u| normalize(&absolute(u)));
        let mut dir = own_dir.clone();
        for _ in 0..5 {
            for main in ["apache2.conf", "httpd.conf"] {
                if dir.join(main).is_file() {
                    let conf_dir = dir.file_name().is_some_and(|n| n == "conf");
                    let root = if main == "httpd.conf" && conf_dir {
                        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
                    } else {
                        dir
                    };
                    return (root, false);
                }
            }
            let here = normalize(&absolute(&dir));
            if stop.as_ref() == Some(&here) {
                break;
            }
            match here.parent() {
                Some(parent) => dir = parent.to_path_buf(),
                None => break,
            }
        }
        (own_dir, !is_main_file(&path))
    }

    pub(super) fn resolve_apache(
        &mut self,
        root: FileId,
        server_root: PathBuf,
        guessed: bool,
    ) -> Config {
        let mut state = ApacheState {
            version: self.options.apache.version,
            ..ApacheState::default()
        };
        state.defines.extend(read_envvars(&server_root));
        for define in &self.options.apache.defines {
            let (name, value) = define.split_once('=').unwrap_or((define, ""));
            state.defines.insert(name.to_string(), value.to_string());
        }
        for module in BUILT_IN {
            state.modules.insert((*module).to_string(), None);
        }
        for module in &self.options.apache.modules {
            state.modules.insert(module_short_name(module), None);
            state.modules_known = true;
        }
        let mut config = Config {
            root,
            prefix: server_root,
            prefix_guessed: guessed,
            dialect: Dialect::Apache,
            ..Config::default()
        };
        let mut stack = vec![root];
        self.visit_apache(&mut config, &mut state, root, Vec::new(), &mut stack);
        config.apache = state;
        config
    }

    fn visit_apache(
        &mut self,
        config: &mut Config,
        state: &mut ApacheState,
        file: FileId,
        context: Context,
        stack: &mut Vec<FileId>,
    ) {
        if !config.files.contains(&file) {
            config.files.push(file);
        }
        config
            .contexts
            .entry(file)
            .or_insert_with(|| context.clone());
        let roots = self.file(file).tree.roots.clone();
        self.walk_apache(config, state, file, &roots, &context, stack);
    }

    fn steps(&self, file: FileId, nodes: &[NodeIndex]) -> Vec<Step> {
        let loaded = self.file(file);
        let text = &loaded.source.text;
        loaded
            .tree
            .directives(nodes)
            .map(|(index, node)| Step {
                node: index,
                name: loaded.tree.value(text, &node.name).to_string(),
                args: node
                    .args
                    .iter()
                    .map(|a| (loaded.tree.value(text, a).to_string(), a.span))
                    .collect(),
                name_span: node.name.span,
                children: node.children.clone(),
            })
            .collect()
    }

    fn walk_apache(
        &mut self,
        config: &mut Config,
        state: &mut ApacheState,
        file: FileId,
        nodes: &[NodeIndex],
        context: &Context,
        stack: &mut Vec<FileId>,
    ) {
        for step in self.steps(file, nodes) {
            let values: Vec<String> = step.args.iter().map(|(v, _)| state.substitute(v)).collect();
            let arg = |i: usize| values.get(i).cloned();
            match step.name.as_str() {
                "define" => {
                    if let Some(name) = arg(0) {
                        let value = arg(1).unwrap_or_default();
                        state.defines.insert(name, value);
                    }
                }
                "undefine" => {
                    if let Some(name) = arg(0) {
                        state.defines.remove(&name);
                    }
                }
                "loadmodule" => {
                    if let Some(name) = arg(0) {
                        state.modules_known = true;
                        state
                            .modules
                            .insert(module_short_name(&name), Some(step.name_span));
                        if let Some(path) = arg(1) {
                            state
                                .modules
                                .entry(module_short_name(&path))
                                .or_insert(Some(step.name_span));
                        }
                    }
                }
                "include" | "includeoptional" => {
                    let optional = step.name == "includeoptional";
                    let Some(pattern) = arg(0) else {
                        self.findings.push(
                            Finding::at(
                                checks::SYNTAX_ERROR,
                                Severity::Error,
                                step.name_span,
                                "`Include` needs a file, directory or wildcard",
                            )
                            .label("this include names nothing"),
                        );
                        continue;
                    };
                    let span = step.args[0].1;
                    let targets = self.apache_include_targets(config, &pattern, optional, span);
                    config.includes.insert((file, step.node), targets.clone());
                    for target in targets {
                        if !self.may_follow(stack, target, span, Dialect::Apache) {
                            continue;
                        }
                        stack.push(target);
                        self.visit_apache(config, state, target, context.clone(), stack);
                        stack.pop();
                    }
                }
                name if CONDITIONAL_SECTIONS.contains(&name) => {
                    let Some(children) = &step.children else {
                        continue;
                    };
                    if evaluate(name, &values, state) {
                        self.walk_apache(config, state, file, children, context, stack);
                    } else {
                        state.inactive.insert((file, step.node));
                    }
                }
                name => {
                    if let Some(children) = &step.children {
                        let mut inner = context.clone();
                        inner.push(name.into());
                        self.walk_apache(config, state, file, children, &inner, stack);
                    }
                }
            }
        }
    }

    /// The files an `Include`/`IncludeOptional` names: a file, every file of
    /// a directory (recursively, in order), or a wildcard's matches.
    fn apache_include_targets(
        &mut self,
        config: &Config,
        pattern: &str,
        optional: bool,
        span: Span,
    ) -> Vec<FileId> {
        let written = Path::new(pattern);
        let full = if written.is_absolute() {
            written.to_path_buf()
        } else {
            config.prefix.join(written)
        };
        let full = normalize(&self.apply_maps(&full));
        let directive = if optional {
            "IncludeOptional"
        } else {
            "Include"
        };
        if pattern.contains("${") {
            if !optional {
                self.findings.push(
                    Finding::at(
                        checks::INCLUDE_NOT_FOUND,
                        Severity::Warning,
                        span,
                        format!("`{pattern}` uses a variable nothing defines"),
                    )
                    .label("not followed")
                    .help("define it with `Define`, pass `-D NAME=VALUE`, or keep Debian's `envvars` beside `apache2.conf`"),
                );
            }
            return Vec::new();
        }
        if has_glob_magic(pattern) {
            let found = self.glob_targets(
                &full,
                pattern,
                &config.prefix,
                span,
                Dialect::Apache,
                optional,
            );
            if found.is_empty() && !optional && !self.outside(&full) {
                self.findings.push(
                    Finding::at(
                        checks::INCLUDE_NOT_FOUND,
                        Severity::Error,
                        span,
                        format!("`{pattern}` matches no file"),
                    )
                    .label("httpd refuses to start: No matches for the wildcard")
                    .help(if written.is_relative() && !config.prefix.exists() {
                        format!(
                            "ServerRoot `{}` does not exist here; lint with `--server-root DIR`, or `--map {}=DIR`",
                            config.prefix.display(),
                            config.prefix.display()
                        )
                    } else {
                        "use `IncludeOptional` where an empty match is fine".to_string()
                    }),
                );
            }
            return found;
        }
        if let Some(&id) = self.virtual_files.get(&normalize(&absolute(&full))) {
            return vec![id];
        }
        match std::fs::canonicalize(&full) {
            Err(_) if optional => Vec::new(),
            Err(_) => {
                let severity = if config.prefix_guessed && !written.is_absolute() {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                let help = if written.is_absolute() {
                    self.map_suggestion(&full, &config.prefix)
                        .map(|s| format!("{s}; or fix the path"))
                        .unwrap_or_else(|| {
                            "fix the path, or use `IncludeOptional` if the file may be absent"
                                .to_string()
                        })
                } else {
                    format!(
                        "relative includes resolve against ServerRoot, here `{}`; set it with `--server-root` if that is wrong",
                        normalize(&absolute(&config.prefix)).display()
                    )
                };
                self.findings.push(
                    Finding::at(
                        checks::INCLUDE_NOT_FOUND,
                        severity,
                        span,
                        format!("included file `{}` does not exist", full.display()),
                    )
                    .label(format!(
                        "httpd refuses to start: {directive} could not open it"
                    ))
                    .help(help),
                );
                Vec::new()
            }
            Ok(real) if !self.allowed(&real) => {
                self.outside_roots(&full, &config.prefix, span);
                Vec::new()
            }
            Ok(real) if real.is_dir() => {
                let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&full)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_file())
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .map(|e| e.into_path())
                    .collect();
                files.sort();
                files.retain(|p| {
                    std::fs::canonicalize(p)
                        .map(|r| self.allowed(&r))
                        .unwrap_or(false)
                });
                files
                    .into_iter()
                    .filter_map(|p| self.load_disk(&p, Some(Dialect::Apache)))
                    .collect()
            }
            Ok(_) => self
                .load_disk(&full, Some(Dialect::Apache))
                .into_iter()
                .collect(),
        }
    }

    /// Whether a path lies outside the roots (already reported as such).
    fn outside(&self, path: &Path) -> bool {
        let base = super::glob_base(path);
        std::fs::canonicalize(base).is_ok_and(|b| !self.allowed(&b))
    }
}

/// Whether httpd takes a conditional section's branch.
fn evaluate(section: &str, args: &[String], state: &ApacheState) -> bool {
    let Some(first) = args.first() else {
        return true;
    };
    let (negated, subject) = match first.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, first.as_str()),
    };
    let holds = match section {
        "ifdefine" => state.defines.contains_key(subject),
        "ifmodule" => {
            if !state.modules_known {
                // Unknown modules: read the branch meant for a server that
                // has them, which is how configurations are usually run.
                return !negated;
            }
            state.has_module(&module_short_name(subject))
        }
        "ifversion" => return version_matches(args, state.version),
        _ => return true,
    };
    holds != negated
}

/// `<IfVersion [[!]op] version>`: `=`/`==`, `<`, `<=`, `>`, `>=`; regular
/// expressions (`~`, `/re/`) are taken as matching.
fn version_matches(args: &[String], version: [u32; 3]) -> bool {
    let (op, wanted) = match args {
        [single] => ("=", single.as_str()),
        [op, wanted, ..] => (op.as_str(), wanted.as_str()),
        [] => return true,
    };
    let (negated, op) = match op.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, op),
    };
    if op == "~" || wanted.starts_with('/') {
        return true;
    }
    let mut parts = wanted.split('.').map(|p| p.parse::<u32>().ok());
    let mut target = [0u32; 3];
    let mut given = 0;
    for slot in &mut target {
        match parts.next() {
            Some(Some(n)) => {
                *slot = n;
                given += 1;
            }
            Some(None) => return true,
            None => break,
        }
    }
    // `= 2.4` matches every 2.4.x: compare only the parts written.
    let ours = &version[..given];
    let theirs = &target[..given];
    let result = match op {
        "=" | "==" => ours == theirs,
        "<" => ours < theirs,
        "<=" => ours <= theirs,
        ">" => ours > theirs,
        ">=" => ours >= theirs,
        _ => true,
    };
    result != negated
}

/// Debian's `envvars` beside `apache2.conf`: `export NAME=value` lines
/// that `apache2ctl` sources before starting httpd.
fn read_envvars(server_root: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Ok(text) = std::fs::read_to_string(server_root.join("envvars")) else {
        return out;
    };
    for line in text.lines() {
        let Some(assignment) = line.trim().strip_prefix("export ") else {
            continue;
        };
        let Some((name, value)) = assignment.split_once('=') else {
            continue;
        };
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value.trim().trim_matches(['"', '\'']);
        // `$SUFFIX` is empty unless apache2 runs as a second instance.
        let value = value.replace("$SUFFIX", "").replace("${SUFFIX}", "");
        if !value.contains('$') && !value.contains('`') {
            out.insert(name.to_string(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        assert_eq!(module_short_name("proxy_http_module"), "proxy_http");
        assert_eq!(module_short_name("mod_proxy_http.c"), "proxy_http");
        assert_eq!(
            module_short_name("/usr/lib/apache2/modules/mod_proxy_fcgi.so"),
            "proxy_fcgi"
        );
    }

    #[test]
    fn versions() {
        let v = [2, 4, 62];
        let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(version_matches(&s(&[">=", "2.4"]), v));
        assert!(!version_matches(&s(&["<", "2.4"]), v));
        assert!(version_matches(&s(&["2.4"]), v));
        assert!(!version_matches(&s(&["!=", "2.4"]), v));
        assert!(version_matches(&s(&[">", "2.4.10"]), v));
    }

    #[test]
    fn substitution() {
        let mut state = ApacheState::default();
        state
            .defines
            .insert("LOG".into(), "/var/log/apache2".into());
        assert_eq!(
            state.substitute("${LOG}/error.log"),
            "/var/log/apache2/error.log"
        );
        assert_eq!(state.substitute("${NOPE}/x"), "${NOPE}/x");
        assert_eq!(state.substitute("a ${b"), "a ${b");
    }
}
