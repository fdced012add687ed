//! Renders a plan for terminals (text), machines (JSON, documented by `schema/plan.schema.json`)
//! and pull requests (Markdown). Pure functions of the plan: the printer writes what they return.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Action, Change, Plan, Summary};
use crate::model::Kind;

/// Version of the JSON document; grows when a field changes meaning or disappears.
pub const FORMAT_VERSION: &str = "1";
/// GitHub's limit on a comment is 65,536 characters; leave room for a CI step's own text.
pub const MARKDOWN_LIMIT: usize = 65_000;
/// The first line of a Markdown plan, so a CI step can find and update its comment.
pub const MARKDOWN_MARKER: &str = "<!-- alertform-plan -->";

/// Where the plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    /// The provider that speaks the service's API: `alertform`, `grafana_oncall`.
    #[serde(default = "default_provider")]
    pub provider: String,
    /// The service's base URL.
    pub endpoint: String,
    /// True when no endpoint was set and alertform started its embedded local service.
    pub embedded: bool,
}

fn default_provider() -> String {
    crate::model::ProviderName::default().as_str().to_owned()
}

/// `plan --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "alertform plan")]
pub struct PlanDocument {
    pub format_version: String,
    pub target: Target,
    pub summary: Summary,
    /// In the order apply makes them.
    pub changes: Vec<Change>,
    /// What the plan says beside its changes (groups expanded into users, what the provider
    /// leaves alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl PlanDocument {
    pub fn new(plan: &Plan, target: Target) -> Self {
        PlanDocument {
            format_version: FORMAT_VERSION.to_owned(),
            target,
            summary: plan.summary(),
            changes: plan.changes.clone(),
            notes: plan.notes.clone(),
        }
    }
}

/// `plan --out FILE`: the plan, plus what apply checks before using it — a digest of the config
/// and the version of every live object the plan read. Holds no secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SavedPlan {
    #[serde(flatten)]
    pub plan: PlanDocument,
    /// The config path the plan was made from, as given.
    pub config: String,
    /// The `--target` addresses the plan was limited to (empty: everything).
    #[serde(default)]
    pub targets: Vec<String>,
    /// SHA-256 over the config files' paths and contents.
    pub config_digest: String,
    /// Live id → version, for every object read.
    pub versions: std::collections::BTreeMap<String, u64>,
}

/// The JSON Schema of [`PlanDocument`], as committed in `schema/plan.schema.json`.
pub fn plan_schema() -> String {
    crate::json::schema_of::<PlanDocument>()
}

pub fn json(plan: &Plan, target: Target) -> String {
    serde_json::to_string_pretty(&PlanDocument::new(plan, target)).expect("a plan serialises")
}

pub fn summary_line(summary: Summary) -> String {
    format!(
        "Plan: {} to add, {} to change, {} to replace, {} to destroy.",
        summary.create, summary.update, summary.replace, summary.delete
    )
}

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    /// Changed leaves as a `-` line and a `+` line (Markdown's `diff` blocks colour them).
    pub diff: bool,
}

/// One changed leaf of a nested value: its path below the field
/// (`["Weekly"].members[1]`), and the value before and after (`None`: not there).
type Leaf<'a> = (String, Option<&'a Value>, Option<&'a Value>);

/// The name a list item is matched by, when every item of both lists has one.
fn names(items: &[Value]) -> Option<Vec<&str>> {
    items.iter().map(|i| i.get("name")?.as_str()).collect()
}

/// Every changed leaf between `old` and `new`, depth first: objects key by key, lists of named
/// objects (layers) matched by name, other lists position by position; unchanged parts left out.
fn leaves<'a>(path: &str, old: Option<&'a Value>, new: Option<&'a Value>, out: &mut Vec<Leaf<'a>>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let (x, y) = (
                    a.get(key).filter(|v| !v.is_null()),
                    b.get(key).filter(|v| !v.is_null()),
                );
                leaves(&format!("{path}.{key}"), x, y, out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            if let (Some(na), Some(nb)) = (names(a), names(b)) {
                for (item, name) in b.iter().zip(&nb) {
                    let before = na.iter().position(|n| n == name).map(|i| &a[i]);
                    leaves(
                        &format!("{path}[{}]", Value::from(*name)),
                        before,
                        Some(item),
                        out,
                    );
                }
                for (item, name) in a.iter().zip(&na) {
                    if !nb.contains(name) {
                        leaves(
                            &format!("{path}[{}]", Value::from(*name)),
                            Some(item),
                            None,
                            out,
                        );
                    }
                }
                let kept: Vec<&&str> = na.iter().filter(|n| nb.contains(n)).collect();
                let kept_new: Vec<&&str> = nb.iter().filter(|n| na.contains(n)).collect();
                if kept != kept_new {
                    out.push((format!("{path} order"), old, new));
                }
            } else if is_set(a) && is_set(b) && !(path.contains('[') && path.ends_with(".members"))
            {
                // A set (group members, recipients: kept sorted): what left it and what joined.
                for item in a.iter().filter(|i| !b.contains(i)) {
                    out.push((path.to_owned(), Some(item), None));
                }
                for item in b.iter().filter(|i| !a.contains(i)) {
                    out.push((path.to_owned(), None, Some(item)));
                }
            } else {
                for i in 0..a.len().max(b.len()) {
                    leaves(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
                }
            }
        }
        _ => out.push((path.to_owned(), old, new)),
    }
}

/// Whether a list reads as a set: strings in strictly increasing order, as the planner writes
/// sets (a layer's `members`, in turn order, are compared position by position instead).
fn is_set(items: &[Value]) -> bool {
    let texts: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
    texts.is_some_and(|t| t.windows(2).all(|w| w[0] < w[1]))
}

/// A value on one line; for a list whose order changed, its item names.
fn leaf_text(path: &str, value: Option<&Value>) -> String {
    match value {
        None => "(none)".to_owned(),
        Some(Value::Array(items)) if path.ends_with(" order") => names(items).map_or_else(
            || value_text(&Value::Array(items.clone())),
            |n| format!("[{}]", n.join(", ")),
        ),
        Some(v) => value_text(v),
    }
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn action(self, action: Action, text: &str) -> String {
        let code = match action {
            Action::Create => "32",
            Action::Update => "33",
            Action::Replace => "35",
            Action::Delete => "31",
        };
        self.paint(code, text)
    }
}

/// A value as it would be written in config: `["a", "b"]`, `{ notify = ["group.sre"] }`.
fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(value_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k} = {}", value_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        // A secret's stand-in is not a value, so it is not quoted like one.
        Value::String(text) if super::is_sensitive(text) => text.clone(),
        other => other.to_string(),
    }
}

fn is_multiline(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|s| s.contains('\n'))
}

/// Lines describing one change, without the header line.
fn change_body(change: &Change, style: Style) -> Vec<String> {
    let mut lines = Vec::new();
    for reason in &change.reasons {
        lines.push(format!("# {reason}"));
    }
    for warning in &change.warnings {
        lines.push(style.paint("1;33", &format!("! {warning}")));
    }
    let width = |keys: &mut dyn Iterator<Item = &String>| keys.map(String::len).max().unwrap_or(0);
    match change.action {
        Action::Create => {
            let after = change.after.as_ref().expect("a create has after");
            let shown: Vec<(&String, &Value)> =
                after.iter().filter(|(_, v)| !v.is_null()).collect();
            let w = width(&mut shown.iter().map(|(k, _)| *k));
            for (key, value) in shown {
                if is_multiline(Some(value)) {
                    lines.push(format!("{key:w$} = <<EOT"));
                    lines.extend(
                        value
                            .as_str()
                            .unwrap_or_default()
                            .lines()
                            .map(|l| format!("  {l}")),
                    );
                    lines.push("EOT".to_owned());
                } else {
                    lines.push(format!("{key:w$} = {}", value_text(value)));
                }
            }
        }
        Action::Update | Action::Replace => {
            let before = change.before.as_ref().expect("an update has before");
            let after = change.after.as_ref().expect("an update has after");
            let w = width(&mut change.changed_fields.iter());
            for key in &change.changed_fields {
                let (old, new) = (before.get(key), after.get(key));
                if is_multiline(old) || is_multiline(new) {
                    lines.push(format!("{key:w$}:"));
                    let old = old.and_then(Value::as_str).unwrap_or_default();
                    let new = new.and_then(Value::as_str).unwrap_or_default();
                    let diff = similar::TextDiff::from_lines(old, new);
                    for line in diff.unified_diff().context_radius(2).to_string().lines() {
                        let painted = match line.chars().next() {
                            Some('+') => style.paint("32", line),
                            Some('-') => style.paint("31", line),
                            _ => line.to_owned(),
                        };
                        lines.push(format!("  {painted}"));
                    }
                } else if let (Some(o @ (Value::Array(_) | Value::Object(_))), Some(n)) = (old, new)
                    && n.is_array() == o.is_array()
                {
                    // A nested value: one line per changed leaf, with its path.
                    let mut changed = Vec::new();
                    leaves("", Some(o), Some(n), &mut changed);
                    for (path, was, is) in changed {
                        let full = path.strip_prefix('.').unwrap_or(&path);
                        let (shown, order) = full
                            .strip_suffix(" order")
                            .map_or((full, ""), |p| (p, " (order)"));
                        let dot = if shown.starts_with('[') || shown.is_empty() {
                            ""
                        } else {
                            "."
                        };
                        let at = format!("{key}{dot}{shown}{order}");
                        let path = full;
                        let (gone, came) = (was.is_none(), is.is_none());
                        let (was, is) = (leaf_text(path, was), leaf_text(path, is));
                        match (style.diff, gone, came) {
                            (true, _, _) => {
                                if !gone {
                                    lines.push(format!("-{at}: {was}"));
                                }
                                if !came {
                                    lines.push(format!("+{at}: {is}"));
                                }
                            }
                            (false, true, _) => lines.push(format!("{at}: added {is}")),
                            (false, _, true) => lines.push(format!("{at}: removed {was}")),
                            (false, false, false) => lines.push(format!("{at}: {was} → {is}")),
                        }
                    }
                } else {
                    let forces = change.action == Action::Replace
                        && change
                            .reasons
                            .iter()
                            .any(|r| r.starts_with(&format!("`{key}`")));
                    lines.push(format!(
                        "{key:w$} = {} → {}{}",
                        value_text(old.unwrap_or(&Value::Null)),
                        value_text(new.unwrap_or(&Value::Null)),
                        if forces { "  # forces replacement" } else { "" }
                    ));
                }
            }
        }
        Action::Delete => {
            if let Some(name) = change.before.as_ref().and_then(|b| b.get("name")) {
                lines.push(format!("name = {}", value_text(name)));
            }
        }
    }
    lines
}

/// The opening both renderings share: `header`, the plan's `notes` (as each rendering words
/// them), and `empty` when the plan changes nothing; whether that was all there is to say.
fn opening(
    out: &mut String,
    header: String,
    notes: impl Iterator<Item = String>,
    (plan, empty): (&Plan, &str),
) -> bool {
    for line in std::iter::once(header).chain(notes) {
        let _ = writeln!(out, "{line}");
    }
    if plan.is_empty() {
        let _ = writeln!(out, "{empty}");
    }
    plan.is_empty()
}

/// The plan for a terminal. `header` is the first line (where the plan was made against).
pub fn text(plan: &Plan, header: &str, style: Style) -> String {
    let mut out = String::new();
    let notes = plan.notes.iter().map(|note| format!("note: {note}"));
    let empty = "\nNo changes: the live service matches the config.";
    if opening(&mut out, header.to_owned(), notes, (plan, empty)) {
        return out;
    }
    let _ = writeln!(out, "\nalertform will make these changes, in this order:\n");
    for change in &plan.changes {
        let symbol = style.action(change.action, change.action.symbol());
        let address = style.paint("1", &change.address);
        let _ = writeln!(out, "  {symbol} {address}");
        for line in change_body(change, style) {
            let _ = writeln!(out, "      {line}");
        }
    }
    let _ = writeln!(out, "\n{}", summary_line(plan.summary()));
    out
}

fn kind_title(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "Users",
        Kind::Group => "Groups",
        Kind::Schedule => "Schedules",
        Kind::EscalationPolicy => "Escalation policies",
        Kind::Integration => "Integrations",
        Kind::Outbound => "Outbound targets",
    }
}

/// The plan as a pull-request comment: summary table, destructive changes first, a collapsible
/// section per kind, and never more than [`MARKDOWN_LIMIT`] characters.
pub fn markdown(plan: &Plan, header: &str) -> String {
    let summary = plan.summary();
    let mut head = String::new();
    let _ = writeln!(head, "{MARKDOWN_MARKER}");
    let _ = writeln!(head, "### alertform plan\n");
    let notes = plan
        .notes
        .iter()
        .map(|note| format!("> **Note:** {note}\n"));
    let empty = "**No changes.** The live service matches the config.";
    if opening(&mut head, format!("{header}\n"), notes, (plan, empty)) {
        return head;
    }
    let _ = writeln!(head, "| action | count |\n| --- | ---: |");
    for (label, n) in [
        ("➕ add", summary.create),
        ("✏️ change", summary.update),
        ("♻️ replace", summary.replace),
        ("🗑️ destroy", summary.delete),
    ] {
        let _ = writeln!(head, "| {label} | {n} |");
    }
    let destructive: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .collect();
    if !destructive.is_empty() {
        let _ = writeln!(head, "\n#### ⚠️ Destructive changes\n");
        for change in destructive {
            let why = change
                .reasons
                .first()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default();
            let _ = writeln!(
                head,
                "- `{}` `{}`{}",
                change.action.symbol(),
                change.address,
                why
            );
            for warning in &change.warnings {
                let _ = writeln!(head, "  - **{warning}**");
            }
        }
    }
    let mut sections = Vec::new();
    for kind in Kind::ALL {
        let changes: Vec<&Change> = plan.changes.iter().filter(|c| c.kind() == *kind).collect();
        if changes.is_empty() {
            continue;
        }
        let mut body = String::new();
        for change in &changes {
            let _ = writeln!(body, "{} {}", change.action.symbol(), change.address);
            for line in change_body(
                change,
                Style {
                    color: false,
                    diff: true,
                },
            ) {
                // A leaf's old and new lines keep their sign in the first column, where a
                // `diff` block colours them.
                match line.chars().next() {
                    Some(sign @ ('-' | '+')) => {
                        let _ = writeln!(body, "{sign}   {}", &line[1..]);
                    }
                    _ => {
                        let _ = writeln!(body, "    {line}");
                    }
                }
            }
        }
        sections.push((
            kind_title(*kind),
            changes.len(),
            body.replace("```", "`\u{200b}``"),
        ));
    }
    let footer = format!("\n{}\n", summary_line(summary));
    let mut out = head;
    let mut truncated = 0;
    for (title, count, body) in sections {
        let section = format!(
            "\n<details><summary>{title} ({count})</summary>\n\n```diff\n{body}```\n\n</details>\n"
        );
        if out.len() + section.len() + footer.len() + 200 > MARKDOWN_LIMIT {
            truncated += count;
            let _ = write!(
                out,
                "\n<details><summary>{title} ({count})</summary>\n\nDetails left out to stay under GitHub's comment limit.\n\n</details>\n"
            );
        } else {
            out.push_str(&section);
        }
    }
    if truncated > 0 {
        let _ = writeln!(
            out,
            "\n> **Note:** details of {truncated} changes were truncated; run `alertform plan` for the full plan."
        );
    }
    out.push_str(&footer);
    out
}

/// The config's dependency graph in Graphviz DOT: an edge from each resource to what it references.
pub fn dot(model: &crate::model::Model) -> String {
    let mut out = String::from(
        "digraph alertform {\n  rankdir = LR;\n  node [shape = box, fontname = \"Helvetica\"];\n",
    );
    for address in model.addresses() {
        let _ = writeln!(out, "  \"{address}\";");
    }
    for (from, to) in model.references() {
        let _ = writeln!(out, "  \"{from}\" -> \"{to}\";");
    }
    out.push_str("}\n");
    out
}
