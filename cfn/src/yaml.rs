//! A small block-style YAML emitter for JSON values.
//!
//! `serde_yaml` writes YAML 1.2 and leaves scalars such as `OFF`, `yes` or `2012-10-17`
//! unquoted; YAML 1.1 parsers (PyYAML, used by the local AWS emulator) read those as a
//! boolean or a date. It also writes enums as YAML tags. This emitter works from the JSON
//! value instead and quotes every string that is not unmistakably a string.

use std::fmt::Write;

use serde_json::Value;

/// Renders `value` as a YAML document (block style, 2-space indent, trailing newline).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

/// Writes the entries of a non-empty map, the first one without indentation (the caller
/// has positioned the cursor), the rest at `level`.
fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            indent(out, level);
        }
        out.push_str(&string_text(key));
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                indent(out, level + 2);
                write_map(out, inner, level + 2);
            }
            // Sequences under a key sit at the key's own indentation, like serde_yaml.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                indent(out, level);
                write_seq(out, items, level);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

/// Writes the items of a non-empty sequence, the first without indentation.
fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(out, level);
        }
        out.push_str("- ");
        match item {
            Value::Object(inner) if is_block(item) => write_map(out, inner, level + 2),
            Value::Array(inner) if is_block(item) => write_seq(out, inner, level + 2),
            scalar => {
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_text(s),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// Words YAML 1.1 resolves to booleans or null (compared case-insensitively).
const RESERVED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// A string as a YAML scalar: plain when nothing can misread it, otherwise quoted.
pub fn string_text(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_string();
    }
    if s.chars().all(|c| !c.is_control()) {
        let mut quoted = String::with_capacity(s.len() + 2);
        quoted.push('\'');
        for c in s.chars() {
            if c == '\'' {
                quoted.push('\'');
            }
            quoted.push(c);
        }
        quoted.push('\'');
        return quoted;
    }
    // Control characters (newlines included): a JSON string is a valid YAML double-quoted
    // scalar.
    let mut quoted = String::new();
    let _ = write!(quoted, "{}", Value::String(s.to_string()));
    quoted
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Starting with a letter, `/` or `$` rules out numbers, dates, times, indicators
    // (`-`, `?`, `:`, `{`, `[`, `!`, `&`, `*`, `#`, `|`, `>`, `'`, `"`, `%`, `@`, `` ` ``)
    // and YAML 1.1's `<<`, `=`, `~` and `.inf`.
    if !(first.is_ascii_alphabetic() || first == '/' || first == '$') {
        return false;
    }
    if RESERVED.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return false;
    }
    if s.ends_with(' ') || s.ends_with(':') || s.contains(": ") || s.contains(" #") {
        return false;
    }
    s.chars().all(|c| c.is_ascii_graphic() || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "OFF",
            "on",
            "Yes",
            "n",
            "true",
            "null",
            "",
            "2010-09-09",
            "12:30",
            "1_000",
            "007",
            "1e3",
            ".inf",
            "=",
            "<<",
            "~",
            "- x",
            "a: b",
            "x #y",
            "{\"a\":1}",
            "end:",
            " x",
        ] {
            assert!(
                string_text(s).starts_with('\''),
                "{s:?} -> {}",
                string_text(s)
            );
        }
        assert_eq!(string_text("it's: x"), "'it''s: x'");
        assert_eq!(string_text("a\nb"), "\"a\\nb\"");
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "AWS::IAM::Role",
            "cron(0 9 ? * MON-FRI *)",
            "${AWS::StackName}-x",
            "/aws/lambda/x",
            "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/c/*",
            "ENABLED",
            "Asia/Seoul",
        ] {
            assert_eq!(string_text(s), s);
        }
    }

    #[test]
    fn nesting() {
        let v = json!({
            "a": {"b": [1, {"c": "d", "e": ["f"]}, [2, 3]], "g": {}},
            "h": [],
            "i": true
        });
        assert_eq!(
            to_string(&v),
            "a:\n  b:\n  - 1\n  - c: d\n    e:\n    - f\n  - - 2\n    - 3\n  g: {}\nh: []\ni: true\n"
        );
    }
}
