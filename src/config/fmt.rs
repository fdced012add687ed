//! Canonical formatting of config files, preserving comments: TOML through taplo's formatter,
//! HCL through a small line-based formatter in the style of `terraform fmt`. Both are idempotent.

use super::source::Format;

/// The canonical form of `text`. Only call it on text that parses: it does not check syntax.
pub fn format(text: &str, format: Format) -> String {
    match format {
        Format::Toml => format_toml(text),
        Format::Hcl => format_hcl(text),
    }
}

fn format_toml(text: &str) -> String {
    let options = taplo::formatter::Options {
        allowed_blank_lines: 1,
        // Keep `{ notify = ["group.sre"] }` steps on one line each.
        inline_table_expand: false,
        // Aligned trailing comments move when any neighbour changes: churn in every diff.
        align_comments: false,
        ..taplo::formatter::Options::default()
    };
    taplo::formatter::format(text, options)
}

const INDENT: &str = "  ";

/// One HCL line after scanning: its code with whitespace normalised, and how it moves nesting.
#[derive(Debug, Default)]
struct ScannedLine {
    text: String,
    /// Closing brackets before anything else on the line: they dedent the line itself.
    leading_closers: usize,
    /// Net change of bracket depth across the line.
    depth_delta: isize,
    /// Delimiter of a heredoc that starts on this line.
    heredoc: Option<String>,
    /// A `/*` comment that does not end on this line.
    opens_block_comment: bool,
    /// Byte offset of the `=` of a `key = value` attribute line.
    assignment: Option<usize>,
}

fn format_hcl(text: &str) -> String {
    let mut out: Vec<(String, Option<usize>, usize)> = Vec::new();
    let mut depth: usize = 0;
    let mut heredoc: Option<String> = None;
    let mut in_block_comment = false;
    let mut pending_blank = false;
    for raw in text.lines() {
        if let Some(delimiter) = &heredoc {
            // Heredoc content is string data: kept byte for byte.
            if raw.trim() == delimiter {
                heredoc = None;
            }
            out.push((raw.to_owned(), None, depth));
            continue;
        }
        if in_block_comment {
            if raw.contains("*/") {
                in_block_comment = false;
            }
            out.push((raw.trim_end().to_owned(), None, depth));
            continue;
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            pending_blank = !out.is_empty();
            continue;
        }
        let line = scan(trimmed);
        let level = depth.saturating_sub(line.leading_closers);
        // No blank line directly inside an opening or before a closing bracket.
        let after_open = out
            .last()
            .is_some_and(|(t, _, _)| t.ends_with(['{', '[', '(']));
        if pending_blank && !after_open && line.leading_closers == 0 {
            out.push((String::new(), None, level));
        }
        pending_blank = false;
        let indent = INDENT.repeat(level);
        let assignment = line.assignment.map(|at| at + indent.len());
        out.push((format!("{indent}{}", line.text), assignment, level));
        depth = depth.saturating_add_signed(line.depth_delta);
        heredoc = line.heredoc;
        in_block_comment = line.opens_block_comment;
    }
    align_assignments(&mut out);
    let mut result = String::with_capacity(text.len());
    for (line, _, _) in out {
        result.push_str(&line);
        result.push('\n');
    }
    result
}

/// Aligns the `=` of consecutive attribute lines at one level, as `terraform fmt` does.
fn align_assignments(lines: &mut [(String, Option<usize>, usize)]) {
    let mut start = 0;
    while start < lines.len() {
        let Some(_) = lines[start].1 else {
            start += 1;
            continue;
        };
        let level = lines[start].2;
        let mut end = start;
        while end < lines.len() && lines[end].1.is_some() && lines[end].2 == level {
            end += 1;
        }
        let column = lines[start..end]
            .iter()
            .filter_map(|l| l.1)
            .max()
            .unwrap_or(0);
        for line in &mut lines[start..end] {
            let at = line.1.expect("only attribute lines are grouped");
            if at < column {
                line.0.insert_str(at, &" ".repeat(column - at));
            }
        }
        start = end;
    }
}

/// Scans one trimmed line of HCL outside strings and comments.
fn scan(line: &str) -> ScannedLine {
    let mut out = ScannedLine::default();
    let mut text = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut seen_code = false;
    let mut pending_space = false;
    let mut key_end: Option<usize> = None;
    let mut first_token_is_ident = None;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // Comments run to the end of the line (or to `*/`), kept as written.
        if c == '#' || (c == '/' && next == Some('/')) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.extend(&chars[i..]);
            break;
        }
        if c == '/' && next == Some('*') {
            let rest: String = chars[i..].iter().collect();
            if !text.is_empty() && pending_space {
                text.push(' ');
            }
            if let Some(end) = rest[2..].find("*/") {
                text.push_str(&rest[..end + 4]);
                i += rest[..end + 4].chars().count();
                pending_space = false;
                continue;
            }
            text.push_str(&rest);
            out.opens_block_comment = true;
            break;
        }
        if c.is_whitespace() {
            pending_space = true;
            i += 1;
            continue;
        }
        if pending_space && !text.is_empty() {
            text.push(' ');
        }
        pending_space = false;
        match c {
            '"' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(chars.len());
                text.extend(&chars[start..i]);
                if first_token_is_ident.is_none() {
                    first_token_is_ident = Some(false);
                }
                seen_code = true;
                continue;
            }
            '<' if next == Some('<') => {
                let rest: String = chars[i + 2..].iter().collect();
                let delimiter: String = rest
                    .trim_start_matches('-')
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !delimiter.is_empty() {
                    out.heredoc = Some(delimiter);
                }
                text.extend(&chars[i..]);
                break;
            }
            '{' | '[' | '(' => out.depth_delta += 1,
            '}' | ']' | ')' => {
                out.depth_delta -= 1;
                if !seen_code {
                    out.leading_closers += 1;
                }
            }
            '=' if next != Some('=')
                && next != Some('>')
                && !matches!(text.chars().last(), Some('=' | '!' | '<' | '>'))
                && key_end.is_none()
                && first_token_is_ident == Some(true)
                && out.depth_delta == 0 =>
            {
                // `key=value` and `key   =   value` both become `key = value`.
                let trimmed_len = text.trim_end().len();
                text.truncate(trimmed_len);
                text.push(' ');
                key_end = Some(text.len());
                text.push('=');
                pending_space = true;
                seen_code = true;
                i += 1;
                continue;
            }
            _ => {}
        }
        if first_token_is_ident.is_none() {
            first_token_is_ident = Some(c.is_alphabetic() || c == '_');
        }
        if !matches!(c, '}' | ']' | ')') {
            seen_code = true;
        }
        text.push(c);
        i += 1;
    }
    if let Some(at) = key_end {
        // Only a plain `ident = ...` line is an attribute to align.
        let key = &text[..at.saturating_sub(1)];
        if key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            out.assignment = Some(at);
        }
    }
    text.truncate(text.trim_end().len());
    out.text = text;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_is_reindented_and_aligned() {
        let input = "user \"alice\"   {\n    name=\"Alice\"\n  email   =   \"a@example.com\" # work\n\n\n\n}\n";
        let expected =
            "user \"alice\" {\n  name  = \"Alice\"\n  email = \"a@example.com\" # work\n}\n";
        assert_eq!(format_hcl(input), expected);
        assert_eq!(format_hcl(expected), expected);
    }

    #[test]
    fn hcl_keeps_heredocs_comments_and_strings() {
        let input = "# top\nintegration \"x\" {\n  templates {\n  message = <<-EOT\n   keep   this {\n  EOT\n  }\n  /* multi\n     line */\n  name = \"a  =  {b}\"\n}\n";
        let once = format_hcl(input);
        assert!(once.contains("   keep   this {\n"), "{once}");
        assert!(once.contains("\"a  =  {b}\""), "{once}");
        assert!(once.contains("     line */"), "{once}");
        assert_eq!(format_hcl(&once), once);
    }

    #[test]
    fn hcl_multiline_lists_indent_by_depth() {
        let input = "group \"g\" {\nmembers = [\nuser.a,\n  user.b,\n]\n}\n";
        let expected = "group \"g\" {\n  members = [\n    user.a,\n    user.b,\n  ]\n}\n";
        assert_eq!(format_hcl(input), expected);
    }
}
