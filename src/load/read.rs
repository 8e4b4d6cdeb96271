//! Reading one file's bytes into text gatelint can parse, or a finding that
//! says why not: too large, binary, unreadable. Invalid UTF-8 is replaced
//! byte for byte so that every span still points at the original offsets.

use std::io::Read;
use std::path::Path;

use crate::finding::{Finding, Severity, checks};

/// A file read as text, with what was wrong with its encoding.
pub struct Text {
    pub text: String,
    /// Byte offset and length of each invalid UTF-8 sequence.
    pub invalid: Vec<(u32, u32)>,
}

impl Text {
    pub fn invalid_bytes(&self) -> usize {
        self.invalid.iter().map(|&(_, len)| len as usize).sum()
    }
}

/// Stands in for each byte that is not UTF-8: one byte, so offsets hold.
pub const REPLACEMENT_BYTE: u8 = 0x1A;

pub fn read_path(path: &Path, max_size: u64) -> Result<Text, Box<Finding>> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| Box::new(unreadable(path, &e)))?;
    if meta.is_dir() {
        return Err(Box::new(Finding::on_path(
            checks::FILE_UNREADABLE,
            Severity::Error,
            path,
            format!("`{shown}` is a directory, not a file"),
        )));
    }
    if meta.len() > max_size {
        return Err(Box::new(too_large(path, meta.len(), max_size)));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(max_size + 1).read_to_end(&mut bytes))
        .map_err(|e| Box::new(unreadable(path, &e)))?;
    if bytes.len() as u64 > max_size {
        return Err(Box::new(too_large(path, bytes.len() as u64, max_size)));
    }
    decode(path, bytes)
}

pub fn decode(path: &Path, mut bytes: Vec<u8>) -> Result<Text, Box<Finding>> {
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Box::new(
            Finding::on_path(
                checks::FILE_NOT_TEXT,
                Severity::Error,
                path,
                format!(
                    "`{}` is a binary file (a NUL byte at offset {at}), not a configuration file",
                    path.display()
                ),
            )
            .help(
                "lint the configuration files, not this one; a directory lint skips files like it",
            ),
        ));
    }
    let mut invalid = Vec::new();
    let mut from = 0;
    loop {
        match std::str::from_utf8(&bytes[from..]) {
            Ok(_) => break,
            Err(e) => {
                let at = from + e.valid_up_to();
                let len = e.error_len().unwrap_or(bytes.len() - at);
                invalid.push((at as u32, len as u32));
                for b in &mut bytes[at..at + len] {
                    *b = REPLACEMENT_BYTE;
                }
                from = at + len;
            }
        }
    }
    // Every invalid byte was replaced by an ASCII byte, so this cannot fail;
    // the fallback keeps the promise of never panicking on input.
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok(Text { text, invalid })
}

fn unreadable(path: &Path, error: &std::io::Error) -> Finding {
    let why = match error.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    };
    Finding::on_path(
        checks::FILE_UNREADABLE,
        Severity::Error,
        path,
        format!("cannot read `{}`: {why}", path.display()),
    )
}

fn too_large(path: &Path, size: u64, max: u64) -> Finding {
    Finding::on_path(
        checks::FILE_TOO_LARGE,
        Severity::Error,
        path,
        format!(
            "`{}` is {} and was not read: the limit is {}",
            path.display(),
            human_size(size),
            human_size(max)
        ),
    )
    .help("raise the limit with `--max-file-size` if this really is a configuration file")
}

pub fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// Parses `16M`, `500k`, `1g` or a plain byte count.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_keeps_offsets() {
        let t = decode(Path::new("x"), b"a \xff\xfe b;\xc3".to_vec())
            .ok()
            .unwrap();
        assert_eq!(t.text.len(), 8);
        assert_eq!(t.invalid, vec![(2, 1), (3, 1), (7, 1)]);
        assert_eq!(t.invalid_bytes(), 3);
        assert_eq!(&t.text[5..7], "b;");
    }

    #[test]
    fn nul_bytes_mean_binary() {
        let e = decode(Path::new("x.bin"), b"\x7fELF\0\0".to_vec())
            .err()
            .unwrap();
        assert_eq!(e.rule, checks::FILE_NOT_TEXT);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16M"), Some(16 << 20));
        assert_eq!(parse_size("512k"), Some(512 << 10));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("x"), None);
    }
}
