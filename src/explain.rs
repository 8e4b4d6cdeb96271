//! `gatelint explain`: a rule's Markdown page, made readable in a terminal:
//! headings stand out, code blocks are indented without their fences.

const BOLD: &str = "\u{1b}[1m";
const DIM: &str = "\u{1b}[2m";
const RESET: &str = "\u{1b}[0m";

pub fn render(markdown: &str, color: bool) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            if in_code {
                let info = line.trim_start_matches('`').trim();
                let label = match info.split_whitespace().nth(1) {
                    Some("fails") => Some("✗ reported:"),
                    Some("passes") => Some("✓ not reported:"),
                    _ => None,
                };
                if let Some(label) = label {
                    out.push_str(&style(label, BOLD, color));
                    out.push('\n');
                }
            }
            continue;
        }
        if in_code {
            out.push_str("    ");
            out.push_str(&style(line, DIM, color));
        } else if let Some(title) = line.strip_prefix("# ") {
            out.push_str(&style(&title.to_uppercase(), BOLD, color));
        } else if let Some(heading) = line.strip_prefix("## ") {
            out.push_str(&style(heading, BOLD, color));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn style(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_become_indented_examples() {
        let text = render("# r\n\n## Why\n\n```nginx fails\nx;\n```\n", false);
        assert_eq!(text, "R\n\nWhy\n\n✗ reported:\n    x;\n");
    }
}
