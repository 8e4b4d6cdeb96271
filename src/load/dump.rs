//! `nginx -T` prints every configuration file behind a
//! `# configuration file PATH:` line. A dump given to gatelint is split back
//! into those files so that findings name the real paths and lines.

use std::path::PathBuf;

const MARKER: &str = "# configuration file ";

/// One file recovered from a dump: its path and its text exactly as nginx read it.
#[derive(Debug, PartialEq, Eq)]
pub struct DumpedFile {
    pub path: PathBuf,
    pub text: String,
}

/// The path on a marker line, if the line is one.
fn marker_path(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let path = line.strip_prefix(MARKER)?.strip_suffix(':')?;
    (!path.is_empty()).then_some(path)
}

/// Whether `text` is an `nginx -T` dump: its first line that is not nginx's
/// own "syntax is ok" chatter is a marker.
pub fn is_dump(text: &str) -> bool {
    text.lines()
        .find(|line| !line.trim().is_empty() && !line.starts_with("nginx: "))
        .and_then(marker_path)
        .is_some()
}

/// Splits a dump. nginx writes a newline after each file's text; it is removed.
pub fn split(text: &str) -> Vec<DumpedFile> {
    let mut files = Vec::new();
    let mut current: Option<(PathBuf, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        if let Some(path) = marker_path(bare) {
            if let Some((path, start)) = current.take() {
                files.push(finish(path, &text[start..offset]));
            }
            current = Some((PathBuf::from(path), offset + line.len()));
        }
        offset += line.len();
    }
    if let Some((path, start)) = current {
        files.push(finish(path, &text[start..]));
    }
    files
}

fn finish(path: PathBuf, body: &str) -> DumpedFile {
    let body = body.strip_suffix('\n').unwrap_or(body);
    DumpedFile {
        path,
        text: body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_files_and_drops_nginx_chatter() {
        let dump = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
                    # configuration file /etc/nginx/nginx.conf:\nhttp {\n include a.conf;\n}\n\n\
                    # configuration file /etc/nginx/a.conf:\nserver {}\n\n";
        assert!(is_dump(dump));
        let files = split(dump);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, PathBuf::from("/etc/nginx/nginx.conf"));
        assert_eq!(files[0].text, "http {\n include a.conf;\n}\n");
        assert_eq!(files[1].text, "server {}\n");
    }

    #[test]
    fn ordinary_configs_are_not_dumps() {
        assert!(!is_dump("# a comment\nhttp {}\n"));
        assert!(!is_dump(""));
    }
}
