//! nginx's value syntaxes: durations (`1m30s`, `500ms`, a bare number is
//! seconds) and sizes (`4k`, `8M`, a bare number is bytes), parsed exactly
//! as nginx does so that a value nginx rejects is reported, not guessed.

/// Milliseconds in a duration nginx accepts, or why nginx rejects it.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err("an empty duration".into());
    }
    // Units in the order nginx requires them, largest first.
    const UNITS: &[(&str, u64)] = &[
        ("y", 365 * 24 * 3_600_000),
        ("M", 30 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("ms", 1),
        ("m", 60_000),
        ("s", 1_000),
    ];
    let rank = |unit: &str| match unit {
        "y" => 0,
        "M" => 1,
        "w" => 2,
        "d" => 3,
        "h" => 4,
        "m" => 5,
        "s" => 6,
        _ => 7,
    };
    let mut total: u64 = 0;
    let mut rest = text;
    let mut last_rank: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "`{text}` is not a duration (expected a number, as in `30s`)"
            ));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}` is too large"))?;
        rest = &rest[digits..];
        let (unit, factor) = if rest.is_empty() {
            ("s", 1_000)
        } else {
            match UNITS.iter().find(|(u, _)| rest.starts_with(u)) {
                Some(&(u, f)) => (u, f),
                None => {
                    return Err(format!(
                        "`{text}`: unknown unit `{}` (nginx knows ms, s, m, h, d, w, M, y)",
                        rest.chars().next().unwrap_or(' ')
                    ));
                }
            }
        };
        let this_rank = rank(unit);
        if last_rank.is_some_and(|r| this_rank <= r) {
            return Err(format!(
                "`{text}`: units must go from largest to smallest, each once"
            ));
        }
        last_rank = Some(this_rank);
        if !rest.is_empty() {
            rest = &rest[unit.len()..];
        }
        total = number
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too large"))?;
    }
    Ok(total)
}

/// Milliseconds in a timeout httpd accepts (`ap_timeout_parameter_parse`):
/// a whole number with no unit (seconds) or one of `ms`, `s`, `mi`
/// (minutes), `h`. `1m` and `1m30s` are nginx's spellings, not httpd's.
pub fn parse_apache_duration(text: &str) -> Result<u64, String> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits == 0 {
        return Err(format!(
            "`{text}` is not a timeout (write seconds, as in `60`)"
        ));
    }
    let factor = match text[digits..].to_ascii_lowercase().as_str() {
        "" | "s" => 1_000,
        "ms" => 1,
        "mi" => 60_000,
        "h" => 3_600_000,
        _ => {
            return Err(format!(
                "`{text}` has a unit httpd does not know (it takes `ms`, `s`, `mi` or `h`)"
            ));
        }
    };
    text[..digits]
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// How httpd 2.4 reads a proxy read timeout (`Timeout`, `ProxyTimeout`, a
/// worker's `timeout=`): the leading whole number, in seconds; whatever
/// follows is silently ignored (checked on httpd 2.4.67: `timeout=3000ms`
/// waits 3000 seconds, `Timeout 1m` one second). Milliseconds, and the
/// ignored suffix.
pub fn parse_apache_seconds(text: &str) -> Result<(u64, &str), String> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits == 0 {
        return Err(format!("`{text}` is not a number of seconds"));
    }
    let ms = text[..digits]
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1_000))
        .ok_or_else(|| format!("`{text}` is too large"))?;
    Ok((ms, &text[digits..]))
}

/// Bytes in a size nginx accepts (`k`/`K`, `m`/`M`, `g`/`G`), or why not.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, factor) = match text.char_indices().last() {
        Some((i, 'k' | 'K')) => (&text[..i], 1024),
        Some((i, 'm' | 'M')) => (&text[..i], 1024 * 1024),
        Some((i, 'g' | 'G')) => (&text[..i], 1024 * 1024 * 1024),
        _ => (text, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a size (as in `4k` or `1m`)"));
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// `90000` → `1m30s`, `500` → `500ms`: the shortest nginx spelling.
pub fn format_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms % 1000 != 0 {
        return format!("{ms}ms");
    }
    let mut secs = ms / 1000;
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_timeouts_as_httpd_reads_them() {
        assert_eq!(parse_apache_seconds("60"), Ok((60_000, "")));
        assert_eq!(parse_apache_seconds("3000ms"), Ok((3_000_000, "ms")));
        assert_eq!(parse_apache_seconds("1m"), Ok((1_000, "m")));
        assert!(parse_apache_seconds("ms").is_err());
        assert!(parse_apache_seconds("").is_err());
    }

    #[test]
    fn timeouts_as_httpd_reads_them() {
        assert_eq!(parse_apache_duration("60"), Ok(60_000));
        assert_eq!(parse_apache_duration("500ms"), Ok(500));
        assert_eq!(parse_apache_duration("2mi"), Ok(120_000));
        assert_eq!(parse_apache_duration("1h"), Ok(3_600_000));
        assert_eq!(parse_apache_duration("30s"), Ok(30_000));
        assert!(parse_apache_duration("1m").is_err());
        assert!(parse_apache_duration("1m30s").is_err());
        assert!(parse_apache_duration("s").is_err());
        assert!(parse_apache_duration("").is_err());
    }

    #[test]
    fn durations_as_nginx_reads_them() {
        assert_eq!(parse_duration("60"), Ok(60_000));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("1m30s"), Ok(90_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert_eq!(parse_duration("2d12h"), Ok(216_000_000));
        assert!(parse_duration("30s1m").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1.5s").is_err());
    }

    #[test]
    fn sizes_as_nginx_reads_them() {
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("8K"), Ok(8192));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("4kb").is_err());
        assert!(parse_size("k").is_err());
    }

    #[test]
    fn durations_print_short() {
        assert_eq!(format_duration(90_000), "1m30s");
        assert_eq!(format_duration(500), "500ms");
        assert_eq!(format_duration(10_000), "10s");
        assert_eq!(format_duration(3_600_000), "1h");
    }
}
