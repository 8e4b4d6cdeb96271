//! Which server a file configures: nginx or Apache httpd. Decided by
//! `--dialect`, else by the includer (an included file speaks its includer's
//! dialect), else by the file's name and place, else by what it says.

use std::path::{Component, Path};

use super::{ParsedFile, apache, nginx};
use crate::source::FileId;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Nginx,
    Apache,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Nginx => "nginx",
            Dialect::Apache => "apache",
        }
    }

    /// The server's name in messages.
    pub fn server(self) -> &'static str {
        match self {
            Dialect::Nginx => "nginx",
            Dialect::Apache => "httpd",
        }
    }

    pub fn parse(self, file: FileId, text: &str) -> ParsedFile {
        match self {
            Dialect::Nginx => nginx::parse(file, text),
            Dialect::Apache => apache::parse(file, text),
        }
    }

    /// The dialect a file's name and place say, if they say one.
    pub fn from_path(path: &Path) -> Option<Dialect> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        match name.as_str() {
            "apache2.conf" | "httpd.conf" | ".htaccess" | "ports.conf" => {
                return Some(Dialect::Apache);
            }
            "nginx.conf" | "fastcgi_params" | "proxy_params" | "uwsgi_params" | "scgi_params" => {
                return Some(Dialect::Nginx);
            }
            _ => {}
        }
        let dirs: Vec<String> = path
            .parent()?
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_string_lossy().to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        let parent = dirs.last().map(String::as_str).unwrap_or("");
        if parent.starts_with("conf-") || parent.starts_with("mods-") || parent == "conf.modules.d"
        {
            return Some(Dialect::Apache);
        }
        // The nearest directory named after a server decides. (`httpd` is
        // not one: groonga-httpd and others are nginx under that name.)
        dirs.iter().rev().find_map(|d| match d.as_str() {
            "apache2" | "apache" => Some(Dialect::Apache),
            "nginx" | "openresty" | "angie" | "tengine" => Some(Dialect::Nginx),
            _ => None,
        })
    }

    /// The dialect a file's text reads as: Apache's section tags and
    /// directives at the start of lines against nginx's `;` and `{` line ends.
    pub fn from_text(text: &str) -> Dialect {
        let mut apache = 0usize;
        let mut nginx = 0usize;
        for line in text.lines().take(400) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let word = line
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if APACHE_MARKERS.contains(&word.as_str()) {
                apache += 3;
            } else if line.ends_with(';') || line.ends_with('{') || line == "}" {
                nginx += 1;
            }
        }
        if apache > nginx {
            Dialect::Apache
        } else {
            Dialect::Nginx
        }
    }

    /// Path first, then content.
    pub fn detect(path: &Path, text: &str) -> Dialect {
        Dialect::from_path(path).unwrap_or_else(|| Dialect::from_text(text))
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "nginx" => Ok(Dialect::Nginx),
            "apache" | "apache2" | "httpd" => Ok(Dialect::Apache),
            _ => Err(format!("`{s}` is not a dialect: use `nginx` or `apache`")),
        }
    }
}

/// Words that start Apache lines and never nginx ones.
const APACHE_MARKERS: &[&str] = &[
    "<virtualhost",
    "</virtualhost",
    "<directory",
    "<location",
    "<ifmodule",
    "</ifmodule",
    "<files",
    "<filesmatch",
    "<proxy",
    "<ifdefine",
    "serverroot",
    "loadmodule",
    "documentroot",
    "servername",
    "serveralias",
    "proxypass",
    "proxypassreverse",
    "errorlog",
    "customlog",
    "rewriteengine",
    "rewriterule",
    "sethandler",
    "addhandler",
    "require",
    "options",
    "allowoverride",
    "directoryindex",
    "includeoptional",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_place() {
        let d = |p: &str| Dialect::from_path(Path::new(p));
        assert_eq!(d("/etc/apache2/apache2.conf"), Some(Dialect::Apache));
        assert_eq!(d("/etc/httpd/conf/httpd.conf"), Some(Dialect::Apache));
        assert_eq!(d("x/conf-enabled/security.conf"), Some(Dialect::Apache));
        assert_eq!(d("x/mods-available/proxy.load"), Some(Dialect::Apache));
        assert_eq!(
            d("/etc/apache2/sites-enabled/000-default.conf"),
            Some(Dialect::Apache)
        );
        assert_eq!(d("/etc/nginx/sites-enabled/default"), Some(Dialect::Nginx));
        assert_eq!(d("deploy/site.conf"), None);
    }

    #[test]
    fn by_content() {
        assert_eq!(
            Dialect::from_text("<VirtualHost *:80>\n ServerName a\n</VirtualHost>\n"),
            Dialect::Apache
        );
        assert_eq!(
            Dialect::from_text("server {\n listen 80;\n include x.conf;\n}\n"),
            Dialect::Nginx
        );
        assert_eq!(Dialect::from_text(""), Dialect::Nginx);
    }
}
