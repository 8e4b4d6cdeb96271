//! php-fpm pool files (INI): where each pool listens, who may use its
//! socket, and how many workers it has.

use std::path::{Path, PathBuf};

/// One `[pool]` section.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    pub name: String,
    pub file: PathBuf,
    /// The line of `[name]`.
    pub line: usize,
    /// `listen =`, with `$pool` replaced.
    pub listen: Option<(String, usize)>,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// `listen.mode`, octal (php-fpm's default is 0660).
    pub mode: Option<u32>,
    pub acl_users: Vec<String>,
    pub acl_groups: Vec<String>,
    pub max_children: Option<(u32, usize)>,
}

/// The pool files php-fpm reads by default on Debian and RHEL.
pub fn default_pool_files(root: &Path) -> Vec<PathBuf> {
    let patterns = ["etc/php/*/fpm/pool.d/*.conf", "etc/php-fpm.d/*.conf"];
    let mut files: Vec<PathBuf> = patterns
        .iter()
        .filter_map(|p| glob::glob(&root.join(p).to_string_lossy()).ok())
        .flat_map(|paths| paths.flatten())
        .collect();
    files.sort();
    files
}

/// Every pool in `paths` (files, or directories of `*.conf`).
pub fn read_pools(paths: &[PathBuf]) -> (Vec<Pool>, Vec<String>) {
    let mut pools = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => pools.extend(parse_pools(&file, &text)),
                Err(e) => problems.push(format!("cannot read {}: {e}", file.display())),
            }
        }
    }
    (pools, problems)
}

pub fn parse_pools(file: &Path, text: &str) -> Vec<Pool> {
    let mut pools: Vec<Pool> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            pools.push(Pool {
                name: name.trim().to_string(),
                file: file.to_path_buf(),
                line: line_no,
                ..Pool::default()
            });
            continue;
        }
        let Some(pool) = pools.last_mut() else {
            continue;
        };
        // `global` holds the master's settings, not a pool's.
        if pool.name == "global" {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').replace("$pool", &pool.name);
        match key.trim() {
            "listen" => pool.listen = Some((value, line_no)),
            "listen.owner" => pool.owner = Some(value),
            "listen.group" => pool.group = Some(value),
            "listen.mode" => {
                pool.mode = u32::from_str_radix(value.trim_start_matches("0o"), 8).ok()
            }
            "listen.acl_users" => pool.acl_users = list(&value),
            "listen.acl_groups" => pool.acl_groups = list(&value),
            "pm.max_children" => {
                pool.max_children = value.parse().ok().map(|n| (n, line_no));
            }
            _ => {}
        }
    }
    pools.retain(|p| p.name != "global");
    pools
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// What a pool's `listen` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listen {
    Socket(String),
    /// A port on an address (`None`: every address).
    Tcp(Option<String>, u16),
}

pub fn parse_listen(value: &str) -> Option<Listen> {
    if value.starts_with('/') {
        return Some(Listen::Socket(value.to_string()));
    }
    if let Ok(port) = value.parse() {
        return Some(Listen::Tcp(None, port));
    }
    let (host, port) = value.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = (!matches!(host, "" | "*" | "0.0.0.0" | "::")).then(|| host.to_string());
    Some(Listen::Tcp(host, port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_from_ini() {
        let text = "[global]\npid = /run/php/php8.2-fpm.pid\n\n[www]\nuser = www-data\nlisten = /run/php/php8.2-fpm-$pool.sock\nlisten.owner = www-data\nlisten.mode = 0660\n; pm.max_children = 50\npm.max_children = 5\n\n[api]\nlisten = 127.0.0.1:9001\n";
        let pools = parse_pools(Path::new("www.conf"), text);
        assert_eq!(pools.len(), 2);
        assert_eq!(pools[0].name, "www");
        assert_eq!(
            pools[0].listen,
            Some(("/run/php/php8.2-fpm-www.sock".to_string(), 6))
        );
        assert_eq!(pools[0].mode, Some(0o660));
        assert_eq!(pools[0].max_children, Some((5, 10)));
        assert_eq!(
            parse_listen("127.0.0.1:9001"),
            Some(Listen::Tcp(Some("127.0.0.1".into()), 9001))
        );
        assert_eq!(parse_listen("9000"), Some(Listen::Tcp(None, 9000)));
    }
}
