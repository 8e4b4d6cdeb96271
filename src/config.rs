//! `gatelint.toml`: which rules run, at what severity, with which options,
//! the nginx version to judge against, and path maps. Found by walking up
//! from the linted path, or named with `--config`. Every unknown key is an
//! error with a suggestion, so a typo never silently does nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::finding::{Severity, checks};
use crate::load::PathMap;
use crate::model::NginxVersion;
use crate::rules::{self, RuleSettings, Settings, closest};

pub const FILE_NAME: &str = "gatelint.toml";

/// A problem in the configuration file, with where it is.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// What a configuration file sets.
#[derive(Debug, Default)]
pub struct FileConfig {
    pub path: Option<PathBuf>,
    pub settings: Settings,
    pub maps: Vec<PathMap>,
    pub prefix: Option<PathBuf>,
    pub allow_outside_roots: Option<bool>,
}

/// The nearest `gatelint.toml` in `start` or a directory above it.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let first = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    first?
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Every name `[rules]` accepts: the rules and the loader's checks.
pub fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = rules::RULES.iter().map(|r| r.name).collect();
    names.extend(checks::ALL);
    names
}

pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read it: {e}"),
    })?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        path: path.to_path_buf(),
        line: line_of_key(text, key),
        message,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
        message: e.message().to_string(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut config = FileConfig {
        path: Some(path.to_path_buf()),
        ..FileConfig::default()
    };
    for (key, value) in &table {
        match key.as_str() {
            "nginx-version" => {
                let text = value.as_str().ok_or_else(|| {
                    error(
                        key,
                        "`nginx-version` must be a string such as \"1.26\"".into(),
                    )
                })?;
                config.settings.version =
                    text.parse::<NginxVersion>().map_err(|e| error(key, e))?;
            }
            "prefix" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| error(key, "`prefix` must be a path".into()))?;
                config.prefix = Some(base.join(text));
            }
            "allow-outside-roots" => {
                config.allow_outside_roots = Some(value.as_bool().ok_or_else(|| {
                    error(key, "`allow-outside-roots` must be true or false".into())
                })?);
            }
            "map" => {
                let maps = value
                    .as_table()
                    .ok_or_else(|| error(key, "`[map]` must be a table of FROM = \"TO\"".into()))?;
                for (from, to) in maps {
                    let to = to
                        .as_str()
                        .ok_or_else(|| error(from, format!("`{from}` must map to a path")))?;
                    config.maps.push(PathMap {
                        from: PathBuf::from(from),
                        to: base.join(to),
                    });
                }
            }
            "backends" => {
                let backends = value.as_table().ok_or_else(|| {
                    error(
                        key,
                        "`[backends]` must be a table of UPSTREAM = { idle-timeout = \"5s\" }"
                            .into(),
                    )
                })?;
                for (name, facts) in backends {
                    let facts = facts.as_table().ok_or_else(|| error(name, format!("`backends.{name}` must be a table such as {{ idle-timeout = \"5s\" }}")))?;
                    let mut parsed = crate::rules::BackendFacts::default();
                    for (fact, value) in facts {
                        match fact.as_str() {
                            "idle-timeout" => {
                                let text = value.as_str().ok_or_else(|| {
                                    error(
                                        fact,
                                        "`idle-timeout` must be a duration such as \"5s\"".into(),
                                    )
                                })?;
                                parsed.idle_timeout = Some(
                                    crate::model::values::parse_duration(text).map_err(|e| {
                                        error(fact, format!("`backends.{name}.idle-timeout`: {e}"))
                                    })?,
                                );
                            }
                            "header-size" => {
                                let text = value.as_str().ok_or_else(|| {
                                    error(
                                        fact,
                                        "`header-size` must be a size such as \"16k\"".into(),
                                    )
                                })?;
                                parsed.header_size =
                                    Some(crate::model::values::parse_size(text).map_err(|e| {
                                        error(fact, format!("`backends.{name}.header-size`: {e}"))
                                    })?);
                            }
                            other => {
                                return Err(error(
                                    other,
                                    unknown("backend fact", other, ["idle-timeout", "header-size"]),
                                ));
                            }
                        }
                    }
                    config.settings.backends.insert(name.clone(), parsed);
                }
            }
            "rules" => {
                let rules = value
                    .as_table()
                    .ok_or_else(|| error(key, "`[rules]` must be a table".into()))?;
                for (name, setting) in rules {
                    let parsed = rule_settings(name, setting).map_err(|m| error(name, m))?;
                    config.settings.rules.insert(name.clone(), parsed);
                }
            }
            other => {
                let known = [
                    "nginx-version",
                    "prefix",
                    "allow-outside-roots",
                    "map",
                    "backends",
                    "rules",
                ];
                return Err(error(other, unknown("key", other, known.iter().copied())));
            }
        }
    }
    Ok(config)
}

fn unknown<'a>(what: &str, name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    match closest(name, known) {
        Some(similar) => format!("unknown {what} `{name}`; did you mean `{similar}`?"),
        None => format!("unknown {what} `{name}`"),
    }
}

/// `name = "off"`, or a table with `enabled`, `severity` and options.
fn rule_settings(name: &str, value: &toml::Value) -> Result<RuleSettings, String> {
    let names = known_names();
    if !names.contains(&name) {
        return Err(unknown("rule", name, names.iter().copied()));
    }
    let rule = rules::find(name);
    let mut settings = RuleSettings::default();
    match value {
        toml::Value::String(word) => apply_word(&mut settings, word)?,
        toml::Value::Boolean(on) => settings.enabled = Some(*on),
        toml::Value::Table(table) => {
            for (key, value) in table {
                match key.as_str() {
                    "enabled" => {
                        settings.enabled =
                            Some(value.as_bool().ok_or("`enabled` must be true or false")?)
                    }
                    "severity" => {
                        let word = value
                            .as_str()
                            .ok_or("`severity` must be \"error\", \"warning\" or \"info\"")?;
                        settings.severity = Some(parse_severity(word)?);
                    }
                    option => {
                        let options = rule.map(|r| r.options).unwrap_or(&[]);
                        let Some(spec) = options.iter().find(|o| o.name == option) else {
                            let mut known: Vec<&str> = vec!["enabled", "severity"];
                            known.extend(options.iter().map(|o| o.name));
                            return Err(format!(
                                "`{name}`: {}",
                                unknown("option", option, known.iter().copied())
                            ));
                        };
                        let text = match value {
                            toml::Value::String(s) => s.clone(),
                            toml::Value::Integer(n) => n.to_string(),
                            _ => {
                                return Err(format!(
                                    "`{name}.{option}` must be a string such as \"{}\"",
                                    spec.default
                                ));
                            }
                        };
                        spec.validate(&text)
                            .map_err(|e| format!("`{name}.{option}`: {e}"))?;
                        settings.options.insert(option.to_string(), text);
                    }
                }
            }
        }
        _ => {
            return Err(format!(
                "`{name}` must be \"off\", \"on\", a severity, or a table"
            ));
        }
    }
    Ok(settings)
}

fn apply_word(settings: &mut RuleSettings, word: &str) -> Result<(), String> {
    match word {
        "off" => settings.enabled = Some(false),
        "on" => settings.enabled = Some(true),
        other => {
            settings.enabled = Some(true);
            settings.severity = Some(parse_severity(other)?);
        }
    }
    Ok(())
}

pub fn parse_severity(word: &str) -> Result<Severity, String> {
    match word {
        "error" => Ok(Severity::Error),
        "warning" => Ok(Severity::Warning),
        "info" => Ok(Severity::Info),
        other => Err(format!(
            "`{other}` is not one of \"off\", \"on\", \"error\", \"warning\", \"info\""
        )),
    }
}

/// A commented `gatelint.toml` with every rule and option at its default,
/// for `gatelint init`.
pub fn template() -> String {
    let mut out = String::from(
        "# gatelint configuration. Every rule is listed at its default; change what you need.\n\
         # Docs: `gatelint explain RULE`. Values: \"on\", \"off\", or a severity (\"error\", \"warning\", \"info\").\n\n",
    );
    out.push_str(&format!(
        "# The nginx version whose defaults apply.\nnginx-version = \"{}\"\n\n",
        {
            let v = NginxVersion::default();
            format!("{}.{}", v.major, v.minor)
        }
    ));
    out.push_str("# Read includes under /etc/nginx from this repository's copy:\n# [map]\n# \"/etc/nginx\" = \"deploy/nginx\"\n\n[rules]\n");
    for rule in rules::RULES.iter().filter(|r| r.options.is_empty()) {
        out.push_str(&format!(
            "# {}\n{} = \"on\"  # {}\n",
            rule.summary,
            rule.name,
            rule.severity.as_str()
        ));
    }
    for name in checks::ALL {
        out.push_str(&format!(
            "# {}\n{name} = \"on\"  # {}\n",
            checks::summary(name),
            checks::default_severity(name).as_str()
        ));
    }
    for rule in rules::RULES.iter().filter(|r| !r.options.is_empty()) {
        // A severity here would override the rule's own choice per finding.
        out.push_str(&format!(
            "\n# {}\n[rules.{}]\nenabled = true\n# severity = \"{}\"\n",
            rule.summary,
            rule.name,
            rule.severity.as_str()
        ));
        for option in rule.options {
            out.push_str(&format!(
                "{} = \"{}\"  # {}\n",
                option.name, option.default, option.help
            ));
        }
    }
    out
}

/// The line where a key is written, for error messages.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches('[');
            line.starts_with(key)
                || line.starts_with(&format!("\"{key}\""))
                || line.contains(&format!(".{key}"))
        })
        .map(|i| i + 1)
}

/// Merges `--select`/`--ignore` and the version from the command line.
pub fn with_cli(
    mut settings: Settings,
    select: &[String],
    ignore: &[String],
    version: Option<NginxVersion>,
) -> Result<Settings, String> {
    let names = known_names();
    for name in select.iter().chain(ignore) {
        if !names.contains(&name.as_str()) {
            return Err(unknown("rule", name, names.iter().copied()));
        }
    }
    if !select.is_empty() {
        settings.select = Some(select.to_vec());
    }
    settings.ignore.extend(ignore.iter().cloned());
    if let Some(version) = version {
        settings.version = version;
    }
    Ok(settings)
}

/// Settings applied to loader checks that come from `[rules]`.
pub fn check_settings(settings: &Settings) -> HashMap<&'static str, RuleSettings> {
    checks::ALL
        .iter()
        .filter_map(|name| settings.rules.get(*name).map(|s| (*name, s.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<FileConfig, ConfigError> {
        parse(Path::new("/repo/gatelint.toml"), text)
    }

    #[test]
    fn a_full_file() {
        let config = parse_text(
            "nginx-version = \"1.26\"\n[map]\n\"/etc/nginx\" = \"deploy/nginx\"\n[rules]\nproxy-loop = \"off\"\nsyntax-error = \"warning\"\n[rules.read-timeout-too-low]\nmin = \"30s\"\nseverity = \"error\"\n",
        )
        .unwrap();
        assert_eq!(config.settings.version, "1.26".parse().unwrap());
        assert_eq!(config.maps[0].to, PathBuf::from("/repo/deploy/nginx"));
        assert_eq!(config.settings.rules["proxy-loop"].enabled, Some(false));
        assert_eq!(
            config.settings.rules["syntax-error"].severity,
            Some(Severity::Warning)
        );
        let timeout = &config.settings.rules["read-timeout-too-low"];
        assert_eq!(timeout.options["min"], "30s");
        assert_eq!(timeout.severity, Some(Severity::Error));
    }

    #[test]
    fn the_init_template_parses_to_the_defaults() {
        let config = parse_text(&template()).unwrap();
        assert_eq!(config.settings.version, NginxVersion::default());
        for rule in rules::RULES {
            assert_eq!(
                config.settings.rules[rule.name].enabled,
                Some(true),
                "{}",
                rule.name
            );
        }
        let timeout = &config.settings.rules["read-timeout-too-low"];
        assert_eq!(timeout.options["min"], "10s");
    }

    #[test]
    fn unknown_keys_are_errors_with_suggestions() {
        let e = parse_text("[rules]\nproxy-lop = \"off\"\n").unwrap_err();
        assert_eq!(
            e.message,
            "unknown rule `proxy-lop`; did you mean `proxy-loop`?"
        );
        assert_eq!(e.line, Some(2));
        let e = parse_text("[rules.read-timeout-too-low]\nmn = \"30s\"\n").unwrap_err();
        assert!(e.message.contains("did you mean `min`?"), "{}", e.message);
        let e = parse_text("nginx-verison = \"1.26\"\n").unwrap_err();
        assert!(e.message.contains("did you mean `nginx-version`?"));
        let e = parse_text("[rules.read-timeout-too-low]\nmin = \"ten seconds\"\n").unwrap_err();
        assert!(e.message.contains("not a duration"), "{}", e.message);
        let e = parse_text("[rules\n").unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
