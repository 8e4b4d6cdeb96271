//! The command line: `gatelint [lint] PATHS…` and `gatelint parse FILE…`.
//! Parses arguments, loads the inputs, picks the output format and turns the
//! findings into an exit code (0 clean, 1 findings at or above `--fail-on`,
//! 2 usage error or nothing readable).

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, FileConfig};
use crate::crossplane::{self, CrossplaneOptions};
use crate::finding::Severity;
use crate::load::apache::ApacheOptions;
use crate::load::{self, Input, Options, PathMap, Workspace};
use crate::model::NginxVersion;
use crate::report::{self, Counts, human};
use crate::syntax::Dialect;
use crate::tree_json;

#[derive(Parser, Debug)]
#[command(
    name = "gatelint",
    version,
    about = "Finds the nginx settings that give your users a 502 Bad Gateway, before you deploy.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    lint: LintArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Lint configuration files and directories (the default command).
    Lint(LintArgs),
    /// Print the parsed tree of each FILE, with its includes.
    Parse(ParseArgs),
    /// List every rule and check, with its default severity.
    Rules(RulesArgs),
    /// Show a rule's documentation: why it fails, the log line, the fix.
    Explain(ExplainArgs),
    /// Map the 502/503/504s and refused starts in error logs to the directives behind them.
    Diagnose(DiagnoseArgs),
    /// Write a commented gatelint.toml with every rule and option at its default.
    Init(InitArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
}

#[derive(Args, Debug, Clone)]
struct InitArgs {
    /// Where to write it.
    #[arg(default_value = "gatelint.toml")]
    path: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug, Clone)]
struct CompletionsArgs {
    shell: clap_complete::Shell,
}

#[derive(Args, Debug, Clone)]
struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    format: RulesFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum RulesFormat {
    Table,
    Json,
}

#[derive(Args, Debug, Clone)]
struct DiagnoseArgs {
    /// nginx or httpd error logs, plain or gzip (`-` or none: standard input).
    #[arg(value_name = "ERROR_LOG")]
    logs: Vec<PathBuf>,
    /// The configuration the logs come from: files or directories
    /// [default: /etc/nginx for nginx logs, /etc/apache2/apache2.conf (or
    /// /etc/httpd/conf/httpd.conf) for httpd logs, when they exist].
    #[arg(long = "config", value_name = "PATHS", num_args = 1..)]
    configs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagnoseFormat::Human)]
    format: DiagnoseFormat,
    /// Colour in the human format.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DiagnoseFormat {
    /// a summary table, then a diagnostic on each directive
    Human,
    /// every group with its counts, times, target and directive
    Json,
}

#[derive(Args, Debug, Clone)]
struct ExplainArgs {
    /// The rule's name, as `gatelint rules` lists it.
    rule: String,
}

#[derive(Args, Debug, Clone)]
struct LoadArgs {
    /// nginx's prefix: relative `include` paths resolve against it
    /// [default: the directory of nginx.conf, else of the file].
    #[arg(long, value_name = "DIR")]
    prefix: Option<PathBuf>,
    /// Read includes under FROM from TO instead (repeatable), e.g. `--map /etc/nginx=deploy/nginx`.
    #[arg(long = "map", value_name = "FROM=TO")]
    maps: Vec<PathMap>,
    /// Follow includes that point outside the linted paths, `--prefix` and `--map` targets.
    #[arg(long)]
    allow_outside_roots: bool,
    /// Skip files larger than this (bytes, or with k/M/G).
    #[arg(long, value_name = "SIZE", default_value = "32M", value_parser = parse_size_arg)]
    max_file_size: u64,
    /// With `-` as the path: lint standard input as if it were this file.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Read every file as this server's configuration [default: by name, place and content].
    #[arg(long, value_name = "nginx|apache", value_parser = parse_dialect_arg)]
    dialect: Option<Dialect>,
    /// Apache's ServerRoot: relative `Include` paths resolve against it
    /// [default: the file's `ServerRoot`, else the directory of apache2.conf/httpd.conf].
    #[arg(long, value_name = "DIR")]
    server_root: Option<PathBuf>,
    /// Apache: define NAME (or NAME=VALUE) as `httpd -D` does (repeatable).
    #[arg(short = 'D', long = "define", value_name = "NAME[=VALUE]")]
    defines: Vec<String>,
    /// Apache: modules loaded besides those the files load, e.g. `proxy,proxy_http`.
    #[arg(long, value_name = "MODULES", value_delimiter = ',')]
    apache_modules: Vec<String>,
    /// Apache: the httpd version `<IfVersion>` is evaluated against.
    #[arg(long, value_name = "VERSION", default_value = "2.4.67", value_parser = parse_apache_version)]
    apache_version: [u32; 3],
}

fn parse_dialect_arg(s: &str) -> Result<Dialect, String> {
    s.parse()
}

fn parse_apache_version(s: &str) -> Result<[u32; 3], String> {
    let mut out = [0u32; 3];
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return Err(format!("`{s}` is not a version such as 2.4.62"));
    }
    for (slot, part) in out.iter_mut().zip(&parts) {
        *slot = part
            .parse()
            .map_err(|_| format!("`{s}` is not a version such as 2.4.62"))?;
    }
    Ok(out)
}

#[derive(Args, Debug, Clone)]
struct LintArgs {
    /// Files or directories to lint; `-` reads standard input
    /// [default: /etc/nginx when it exists, else the current directory].
    #[arg(value_name = "PATHS")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    format: LintFormat,
    /// Exit with 1 when a finding has at least this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    /// Also exit with 1 when there are more than N warnings.
    #[arg(long, value_name = "N")]
    max_warnings: Option<usize>,
    /// In JSON and SARIF, include the findings inline suppressions silenced.
    #[arg(long)]
    show_suppressed: bool,
    /// SARIF artifact paths are relative to this directory [default: the working directory].
    #[arg(long, value_name = "DIR")]
    sarif_root: Option<PathBuf>,
    /// Colour in the human format.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// The configuration file [default: the nearest gatelint.toml up from the first path].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run only these rules (comma-separated or repeated).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    select: Vec<String>,
    /// Never run these rules.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    ignore: Vec<String>,
    /// The nginx version to judge defaults against, e.g. 1.26 [default: 1.30].
    #[arg(long, value_name = "X.Y")]
    nginx_version: Option<NginxVersion>,
    /// Also check this machine: unix sockets, listeners on its own addresses,
    /// php-fpm pools, the worker user (reads local files only, no network).
    #[arg(long)]
    host: bool,
    /// php-fpm pool files or directories for --host [default: /etc/php/*/fpm/pool.d, /etc/php-fpm.d].
    #[arg(long = "php-fpm", value_name = "PATH")]
    php_fpm: Vec<PathBuf>,
    /// A docker-compose file: backend hosts must be its services (or aliases),
    /// on ports they listen on inside their containers.
    #[arg(long, value_name = "FILE")]
    compose: Option<PathBuf>,
    /// Contact every backend the configuration names, as the server would:
    /// resolve, connect, TLS with its SNI and verification, FastCGI (never by default).
    #[arg(long)]
    probe: bool,
    /// With --probe, also send `HEAD /` to HTTP backends and check they answer HTTP.
    #[arg(long)]
    probe_http: bool,
    /// With --probe: how long each step may take.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration_arg)]
    probe_timeout: std::time::Duration,
    /// With --probe: how many targets are contacted at once.
    #[arg(long, value_name = "N", default_value_t = 32)]
    probe_concurrency: usize,
    /// With --probe: the longest the whole probing may take.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration_arg)]
    probe_deadline: std::time::Duration,
    /// Print how long each stage took, and the peak memory, to standard error.
    #[arg(long)]
    timings: bool,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(Args, Debug, Clone)]
struct ParseArgs {
    /// nginx configuration files (`-` for standard input).
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// `json`: gatelint's tree with spans; `crossplane`: what `crossplane parse` prints.
    #[arg(long, value_enum, default_value_t = ParseFormat::Json)]
    format: ParseFormat,
    /// Do not follow includes.
    #[arg(long)]
    single_file: bool,
    /// Keep comments in the output.
    #[arg(long)]
    include_comments: bool,
    /// Indent JSON by this many spaces (crossplane's `--indent`); compact when absent.
    #[arg(long, short = 'i', value_name = "NUM")]
    indent: Option<usize>,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LintFormat {
    /// miette's report, for people
    Human,
    /// gatelint's JSON (schemas/gatelint-report.schema.json)
    Json,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
    /// GitHub Actions annotations
    Github,
    /// `path:line:col: severity[rule] message`, for editors
    Concise,
    /// GitLab code quality (Code Climate JSON)
    Gitlab,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ParseFormat {
    Json,
    Crossplane,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FailOn {
    Error,
    Warning,
    Info,
    /// Exit 0 whatever is found (unless --max-warnings is passed).
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

/// A duration above zero (`2s`, `500ms`, `1m`).
fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    match crate::model::values::parse_duration(text)? {
        0 => Err("must be longer than 0s".into()),
        ms => Ok(std::time::Duration::from_millis(ms)),
    }
}

fn parse_size_arg(text: &str) -> Result<u64, String> {
    load::read::parse_size(text).ok_or_else(|| format!("`{text}` is not a size (try 32M or 500k)"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Lint(args)) => lint(args),
        Some(Command::Parse(args)) => parse(args),
        Some(Command::Rules(args)) => list_rules(args),
        Some(Command::Explain(args)) => explain(args),
        Some(Command::Diagnose(args)) => diagnose(args),
        Some(Command::Init(args)) => init(args),
        Some(Command::Completions(args)) => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "gatelint", &mut out);
            write_stdout(&String::from_utf8_lossy(&out)).map(|_| ExitCode::SUCCESS)
        }
        Some(Command::Man) => man(),
        None => lint(cli.lint),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("gatelint: {message}");
            ExitCode::from(2)
        }
    }
}

fn options(args: &LoadArgs) -> Options {
    Options {
        prefix: args.prefix.clone(),
        maps: args.maps.clone(),
        allow_outside_roots: args.allow_outside_roots,
        max_file_size: args.max_file_size,
        split_dumps: true,
        dialect: args.dialect,
        apache: ApacheOptions {
            server_root: args.server_root.clone(),
            defines: args.defines.clone(),
            modules: args.apache_modules.clone(),
            version: args.apache_version,
        },
    }
}

fn inputs(paths: &[PathBuf], args: &LoadArgs) -> Result<Vec<Input>, String> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(args.max_file_size + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            if bytes.len() as u64 > args.max_file_size {
                return Err(format!(
                    "standard input is larger than --max-file-size ({})",
                    load::read::human_size(args.max_file_size)
                ));
            }
            inputs.push(Input::Text {
                name: args.stdin_filename.clone(),
                bytes,
            });
        } else {
            inputs.push(Input::Path(path.clone()));
        }
    }
    if args.stdin_filename.is_some() && !paths.iter().any(|p| p.as_os_str() == "-") {
        return Err("--stdin-filename names standard input; pass `-` as the path too".into());
    }
    Ok(inputs)
}

fn default_paths() -> Vec<PathBuf> {
    let etc = PathBuf::from("/etc/nginx");
    if etc.is_dir() {
        vec![etc]
    } else {
        vec![PathBuf::from(".")]
    }
}

/// The configuration file: `--config`, else the nearest `gatelint.toml`.
fn file_config(args: &LintArgs, paths: &[PathBuf]) -> Result<FileConfig, String> {
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => {
            let start = paths
                .iter()
                .find(|p| p.as_os_str() != "-")
                .cloned()
                .or_else(|| {
                    args.load
                        .stdin_filename
                        .as_ref()
                        .and_then(|p| p.parent().map(PathBuf::from))
                })
                .unwrap_or_else(|| PathBuf::from("."));
            let start = if start.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                start
            };
            config::discover(&start)
        }
    };
    match path {
        Some(path) => config::load(&path).map_err(|e| format!("invalid configuration: {e}")),
        None => Ok(FileConfig::default()),
    }
}

/// Whether to colour the human format, and how wide it may be.
fn human_style(color: Color) -> human::Style {
    let color = match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    human::Style { color, width }
}

fn diagnose(args: DiagnoseArgs) -> Result<ExitCode, String> {
    use crate::diagnose::{Reading, map, report as diagnosis};
    let mut reading = Reading::default();
    let mut read_any = false;
    let logs = if args.logs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.logs.clone()
    };
    for log in &logs {
        let result = if log.as_os_str() == "-" {
            reading.read_log(std::io::stdin().lock())
        } else {
            std::fs::File::open(log).and_then(|file| reading.read_log(file))
        };
        match result {
            Ok(()) => read_any = true,
            Err(e) => eprintln!("gatelint: cannot read {}: {e}", log.display()),
        }
    }
    if !read_any {
        return Err("no error log could be read".into());
    }
    let configs = if args.configs.is_empty() {
        let mut found = Vec::new();
        for dialect in reading.dialects() {
            let candidates: &[&str] = match dialect {
                Dialect::Nginx => &["/etc/nginx/nginx.conf"],
                Dialect::Apache => &["/etc/apache2/apache2.conf", "/etc/httpd/conf/httpd.conf"],
            };
            found.extend(candidates.iter().map(PathBuf::from).find(|p| p.is_file()));
        }
        found
    } else {
        args.configs.clone()
    };
    let mut options = options(&args.load);
    options.allow_outside_roots |= args.configs.is_empty();
    let inputs: Vec<Input> = configs.iter().cloned().map(Input::Path).collect();
    let outcome = crate::lint::lint(&inputs, options, &crate::rules::Settings::default());
    let ws = &outcome.workspace;
    let gateways: Vec<crate::model::Gateway> = ws
        .configs
        .iter()
        .map(|c| crate::model::Gateway::build(ws, c, NginxVersion::default()))
        .collect();
    let groups = reading.sorted_groups();
    let mappings = map::map_groups(&gateways, &outcome.findings, &groups);
    let output = match args.format {
        DiagnoseFormat::Human => {
            diagnosis::human(ws, &reading, &groups, &mappings, human_style(args.color))
        }
        DiagnoseFormat::Json => diagnosis::json(ws, &reading, &groups, &mappings),
    };
    write_stdout(&output)?;
    Ok(ExitCode::from(u8::from(!groups.is_empty())))
}

fn lint(args: LintArgs) -> Result<ExitCode, String> {
    let started = std::time::Instant::now();
    if args.timings {
        crate::timings::enable();
    }
    let no_paths = args.paths.is_empty();
    let paths = if no_paths {
        default_paths()
    } else {
        args.paths.clone()
    };
    let file = file_config(&args, &paths)?;
    let settings = config::with_cli(
        file.settings,
        &args.select,
        &args.ignore,
        args.nginx_version,
    )?;
    let mut options = options(&args.load);
    options.maps.extend(file.maps);
    if options.prefix.is_none() {
        options.prefix = file.prefix;
    }
    // With no paths gatelint lints the host's own configuration, whose
    // includes (Debian's modules-enabled links into /usr/share) are trusted.
    options.allow_outside_roots |= file.allow_outside_roots.unwrap_or(false) || no_paths;
    let inputs = inputs(&paths, &args.load)?;
    let mut outcome = crate::lint::lint(&inputs, options, &settings);
    let compose = match &args.compose {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let project = crate::host::compose::Project::parse(&text)
                .map_err(|e| format!("{} is not a compose file: {e}", path.display()))?;
            Some((path.display().to_string(), project))
        }
        None => None,
    };
    let host = args.host || !args.php_fpm.is_empty() || compose.is_some();
    let probe = args.probe || args.probe_http;
    if host || probe {
        let ws = &outcome.workspace;
        let gateways: Vec<crate::model::Gateway> = ws
            .configs
            .iter()
            .map(|c| crate::model::Gateway::build(ws, c, settings.version))
            .collect();
        let mut found = Vec::new();
        if host {
            let options = crate::host::HostOptions {
                php_fpm: args.php_fpm.clone(),
                compose: compose.clone(),
                machine: args.host || !args.php_fpm.is_empty(),
                ..crate::host::HostOptions::default()
            };
            found.extend(crate::host::check(&gateways, &options));
        }
        if probe {
            let options = crate::probe::ProbeOptions {
                timeout: args.probe_timeout,
                concurrency: args.probe_concurrency,
                deadline: args.probe_deadline,
                http: args.probe_http,
                progress: true,
            };
            found.extend(crate::probe::probe(&gateways, &options));
        }
        let found = crate::lint::settle_checks(found, &settings);
        drop(gateways);
        outcome.findings.extend(found);
    }
    let ws = &outcome.workspace;
    let located = report::sorted(ws, &outcome.findings);
    let counts = Counts::of(&outcome.findings);
    let output = crate::timings::measure("report", || match args.format {
        LintFormat::Human => human::render(ws, &located, counts, human_style(args.color)),
        LintFormat::Json => {
            let suppressed = args
                .show_suppressed
                .then(|| report::suppressed(ws, &outcome.suppressed));
            report::json::render(ws, &located, suppressed.as_deref(), counts)
        }
        LintFormat::Sarif => {
            let root = args
                .sarif_root
                .clone()
                .unwrap_or_else(|| PathBuf::from("."));
            let suppressed = report::suppressed(ws, &outcome.suppressed);
            report::sarif::render(ws, &root, &located, &suppressed)
        }
        LintFormat::Github => report::github::render(&located),
        LintFormat::Concise => report::concise::render(&located),
        LintFormat::Gitlab => report::gitlab::render(&located),
    });
    write_stdout(&output)?;
    if let Some(timings) = crate::timings::report(started.elapsed()) {
        eprint!("{timings}");
    }
    if ws.files.is_empty() {
        if outcome.findings.is_empty() {
            let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            eprintln!(
                "gatelint: no nginx configuration found in {}",
                shown.join(", ")
            );
        }
        return Ok(ExitCode::from(2));
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let over_threshold =
        threshold.is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    let too_many_warnings = args.max_warnings.is_some_and(|max| counts.warnings > max);
    drop(located);
    // The process ends right after this: freeing millions of nodes one by
    // one would add a quarter of a second on a big tree for nothing.
    std::mem::forget(outcome);
    Ok(ExitCode::from(u8::from(
        over_threshold || too_many_warnings,
    )))
}

#[derive(serde::Serialize)]
struct RuleRow {
    name: &'static str,
    kind: &'static str,
    severity: &'static str,
    /// The servers a rule checks (checks made while reading apply to all).
    dialects: &'static [Dialect],
    summary: &'static str,
    options: Vec<OptionRow>,
}

#[derive(serde::Serialize)]
struct OptionRow {
    name: &'static str,
    default: &'static str,
    help: &'static str,
}

fn rule_rows() -> Vec<RuleRow> {
    let mut rows: Vec<RuleRow> = crate::rules::RULES
        .iter()
        .map(|r| RuleRow {
            name: r.name,
            kind: "rule",
            severity: r.severity.as_str(),
            dialects: r.dialects,
            summary: r.summary,
            options: r
                .options
                .iter()
                .map(|o| OptionRow {
                    name: o.name,
                    default: o.default,
                    help: o.help,
                })
                .collect(),
        })
        .collect();
    rows.extend(crate::finding::checks::ALL.iter().map(|&name| RuleRow {
        name,
        kind: "check",
        severity: crate::finding::checks::default_severity(name).as_str(),
        dialects: crate::rules::BOTH,
        summary: crate::finding::checks::summary(name),
        options: Vec::new(),
    }));
    rows
}

fn list_rules(args: RulesArgs) -> Result<ExitCode, String> {
    let rows = rule_rows();
    let text = match args.format {
        RulesFormat::Json => to_json(&rows, Some(2), false)?,
        RulesFormat::Table => {
            let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
            let mut out = String::from("Rules (`gatelint explain NAME` for the details):\n");
            let mut in_checks = false;
            for row in &rows {
                if row.kind == "check" && !in_checks {
                    in_checks = true;
                    out.push_str("\nChecks made while reading files:\n");
                }
                let servers = match row.dialects {
                    [Dialect::Nginx] => "nginx",
                    [Dialect::Apache] => "apache",
                    _ => "both",
                };
                out.push_str(&format!(
                    "  {:width$}  {:7}  {:6}  {}\n",
                    row.name, row.severity, servers, row.summary
                ));
                for option in &row.options {
                    out.push_str(&format!(
                        "  {:width$}                   option {} = \"{}\": {}\n",
                        "", option.name, option.default, option.help
                    ));
                }
            }
            out
        }
    };
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn init(args: InitArgs) -> Result<ExitCode, String> {
    if args.path.exists() && !args.force {
        return Err(format!(
            "`{}` exists; pass --force to replace it",
            args.path.display()
        ));
    }
    std::fs::write(&args.path, config::template())
        .map_err(|e| format!("cannot write `{}`: {e}", args.path.display()))?;
    eprintln!("gatelint: wrote {}", args.path.display());
    Ok(ExitCode::SUCCESS)
}

fn man() -> Result<ExitCode, String> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    write_stdout(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}

fn explain(args: ExplainArgs) -> Result<ExitCode, String> {
    if let Some(rule) = crate::rules::find(&args.rule) {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        write_stdout(&crate::explain::render(rule.doc, color))?;
        return Ok(ExitCode::SUCCESS);
    }
    if crate::finding::checks::ALL.contains(&args.rule.as_str()) {
        let severity = crate::finding::checks::default_severity(&args.rule).as_str();
        write_stdout(&format!(
            "{}\n\n{}.\n\nSeverity: {severity}. A check made while reading files; README.md lists them all.\n",
            args.rule,
            crate::finding::checks::summary(&args.rule)
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(cause) = crate::diagnose::cause::Cause::from_name(&args.rule) {
        let (nginx, httpd) = (cause.about(false), cause.about(true));

        let rules = if nginx.rules.is_empty() {
            "none: it depends on the running backend".to_string()
        } else {
            nginx.rules.join(", ")
        };
        write_stdout(&format!(
            "{}\n\n{}: a cause `gatelint diagnose` reports ({}).\n\nWhy: {}.\nFix: {}.\nRules that catch it before it happens: {rules}.\n",
            cause.name(),
            nginx.title,
            if nginx.status == 0 {
                "the server does not start".to_string()
            } else {
                format!("nginx answers {}, httpd {}", nginx.status, httpd.status)
            },
            nginx.why,
            nginx.fix
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let names = crate::config::known_names();
    Err(
        match crate::rules::closest(&args.rule, names.iter().copied()) {
            Some(similar) => format!("unknown rule `{}`; did you mean `{similar}`?", args.rule),
            None => format!("unknown rule `{}`; `gatelint rules` lists them", args.rule),
        },
    )
}

fn parse(args: ParseArgs) -> Result<ExitCode, String> {
    let mut outputs = Vec::new();
    let mut status = 0u8;
    for file in &args.files {
        let inputs = inputs(std::slice::from_ref(file), &args.load)?;
        let mut options = options(&args.load);
        options.split_dumps = args.format != ParseFormat::Crossplane;
        if args.format == ParseFormat::Crossplane {
            // crossplane reads nginx only.
            options.dialect = Some(Dialect::Nginx);
        }
        let ws = Workspace::load(&inputs, options);
        if ws.files.is_empty() {
            for f in &ws.findings {
                eprintln!("gatelint: {}", f.message);
            }
            status = 2;
            continue;
        }
        let Some(config) = ws.configs.first() else {
            continue;
        };
        let text = match args.format {
            ParseFormat::Crossplane => {
                let options = CrossplaneOptions {
                    single_file: args.single_file,
                    comments: args.include_comments,
                };
                let payload = crossplane::payload(&ws, config, options);
                to_json(&payload, args.indent, true)?
            }
            ParseFormat::Json => {
                let tree = tree_json::tree(&ws, &[config], args.include_comments);
                to_json(&tree, args.indent.or(Some(2)), false)?
            }
        };
        outputs.push(text);
    }
    write_stdout(&outputs.join(""))?;
    Ok(ExitCode::from(status))
}

/// JSON text; `ascii_only` escapes every non-ASCII character as Python's
/// `json.dumps` does by default (crossplane's output is made that way).
fn to_json<T: serde::Serialize>(
    value: &T,
    indent: Option<usize>,
    ascii_only: bool,
) -> Result<String, String> {
    let text = match indent {
        None => serde_json::to_string(value),
        Some(n) => {
            let pad = vec![b' '; n];
            let mut buf = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(&pad);
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
            value
                .serialize(&mut ser)
                .map(|_| String::from_utf8_lossy(&buf).into_owned())
        }
    }
    .map_err(|e| format!("cannot write JSON: {e}"))?;
    let mut text = if ascii_only {
        crossplane::escape_non_ascii(&text)
    } else {
        text
    };
    text.push('\n');
    Ok(text)
}

fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`gatelint … | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write output: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
