//! Writes a config for everything live: how a team adopts alertform for an account that already
//! exists. Keys come from names (unique per kind), references use keys, and planning the result
//! against the same service shows no changes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::config::fmt::format as canonical;
use crate::config::source::Format;
use crate::config::write::{Nested, Writer};
use crate::model::{ChannelSettings, Kind, Role, key_from_name};
use crate::observed::Observed;

/// The config files for `observed`: `(file name, text)`, formatted canonically.
/// The files, and what could not be written (said on stderr by the CLI).
/// What `export` wrote, and what it could not.
#[derive(Debug)]
pub struct Exported {
    /// `(file name, text)`, one file per kind.
    pub files: Vec<(String, String)>,
    /// What a person should know: what was left to the service and why, secrets to set.
    pub notes: Vec<String>,
    /// Live objects the config does not hold because alertform cannot read a part of them, each
    /// with the part and why: the export is incomplete when there are any.
    pub incomplete: Vec<String>,
}

pub fn export(
    observed: &Observed,
    provider: crate::model::ProviderName,
    format: Format,
) -> Exported {
    let mut keys: HashMap<&str, String> = HashMap::new();
    assign(
        &mut keys,
        Kind::User,
        observed
            .users
            .iter()
            .map(|o| (o.id.as_str(), o.name.as_str()))
            .collect(),
    );
    assign(
        &mut keys,
        Kind::Group,
        observed
            .groups
            .iter()
            .map(|o| (o.id.as_str(), o.name.as_str()))
            .collect(),
    );
    assign(
        &mut keys,
        Kind::EscalationPolicy,
        observed
            .escalation_policies
            .iter()
            .map(|o| (o.id.as_str(), o.name.as_str()))
            .collect(),
    );
    assign(
        &mut keys,
        Kind::Schedule,
        observed
            .schedules
            .iter()
            .map(|o| (o.id.as_str(), o.name.as_str()))
            .collect(),
    );
    assign(
        &mut keys,
        Kind::Integration,
        observed
            .integrations
            .iter()
            .map(|o| (o.id.as_str(), o.name.as_str()))
            .collect(),
    );
    assign(
        &mut keys,
        Kind::Outbound,
        observed
            .outbound
            .iter()
            .map(|o| (o.id.as_str(), o.name.as_str()))
            .collect(),
    );
    write(
        observed,
        &keys,
        provider,
        format,
        &Extras {
            secret_env: &crate::model::secret_env_name,
            lifecycle: &|_| None,
            settings: None,
        },
    )
}

/// Writes a model as config files, each object under its own key, for the vendor its
/// `settings.provider` names: what `migrate` and `dev generate` write. Everything the writer
/// needs besides live state comes from the model: where each secret is read from, lifecycles,
/// settings.
pub fn write_model(model: &crate::model::Model, format: Format) -> Exported {
    let observed = Observed::declared(model);
    let keys: HashMap<&str, String> = observed
        .versions()
        .map(|(_, id, _)| (id, id.to_owned()))
        .collect();
    let secret_env = |key: &str, field: &str| {
        model
            .outbound
            .get(key)
            .and_then(|o| {
                o.target
                    .secrets()
                    .into_iter()
                    .find(|(f, _)| *f == field)
                    .and_then(|(_, secret)| secret.env.clone())
            })
            .unwrap_or_else(|| crate::model::secret_env_name(key, field))
    };
    let lifecycle = |id: &str| {
        let (kind, key) = id.split_once('.')?;
        model.lifecycle(Kind::parse(kind)?, key).cloned()
    };
    write(
        &observed,
        &keys,
        model.settings.provider.unwrap_or_default(),
        format,
        &Extras {
            secret_env: &secret_env,
            lifecycle: &lifecycle,
            settings: Some(model.settings.clone()),
        },
    )
}

/// What the writer needs that live state does not hold.
struct Extras<'a> {
    /// The environment variable the secret `field` of outbound target `key` is read from.
    pub secret_env: &'a dyn Fn(&str, &str) -> String,
    /// The lifecycle (`prevent_destroy`, `lint_ignore`) of the object of this id, where the
    /// caller has one (a migrated config keeps its own).
    pub lifecycle: &'a dyn Fn(&str) -> Option<crate::model::Lifecycle>,
    /// Settings the caller keeps besides the provider (`max_delete_percent`, `lint.disable`).
    pub settings: Option<crate::model::Settings>,
}

/// Writes `observed` as config files, naming each live id by `keys` (`kind.key`), with what
/// `extras` adds (where secrets are read from, lifecycles): what `export`, `migrate` and
/// `dev generate` write, through the one writer ([`Writer`]).
fn write<S: std::hash::BuildHasher>(
    observed: &Observed,
    keys: &HashMap<&str, String, S>,
    provider: crate::model::ProviderName,
    format: Format,
    extras: &Extras<'_>,
) -> Exported {
    let w = Writer {
        format,
        keys,
        left_out: std::cell::RefCell::default(),
    };
    // A lifecycle the caller keeps, written after the object's own fields.
    let lifecycle = |id: &str, fields: &mut Vec<(&str, String)>| {
        let Some(l) = (extras.lifecycle)(id) else {
            return;
        };
        if l.prevent_destroy {
            fields.push(("prevent_destroy", "true".to_owned()));
        }
        if !l.lint_ignore.is_empty() {
            let codes: Vec<String> = l.lint_ignore.iter().map(|c| w.string(c)).collect();
            fields.push(("lint_ignore", format!("[{}]", codes.join(", "))));
        }
    };

    // An object's entry in its file: its key, and its fields (lifecycle last) as a resource.
    let entry = |id: &str, mut fields: Vec<(&str, String)>, nested: &Nested| {
        lifecycle(id, &mut fields);
        let key = w.key(id);
        let text = w.resource(&key, &fields, nested);
        (key, text)
    };
    let mut files: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for u in &observed.users {
        let mut fields = vec![("name", w.string(&u.name)), ("email", w.string(&u.email))];
        if let Some(phone) = &u.phone {
            fields.push(("phone", w.string(phone)));
        }
        if u.role != Role::Responder {
            fields.push(("role", w.string(u.role.as_str())));
        }
        if let Some(tz) = &u.time_zone {
            fields.push(("time_zone", w.string(tz)));
        }
        files
            .entry("users")
            .or_default()
            .push(entry(&u.id, fields, &Nested::None));
    }
    for g in &observed.groups {
        let mut fields = vec![("name", w.string(&g.name))];
        if let Some(d) = &g.description {
            fields.push(("description", w.string(d)));
        }
        let members = w.references(g.member_user_ids.iter().chain(&g.member_group_ids));
        if members != "[]" {
            fields.push(("members", members));
        }
        files
            .entry("groups")
            .or_default()
            .push(entry(&g.id, fields, &Nested::None));
    }
    // Policies with no step a config can hold, and the `settings.ignore` patterns that leave
    // them (and the integrations routed to them) to the service.
    let mut stepless: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut ignore: Vec<String> = Vec::new();
    let mut incomplete = Vec::new();
    let mut layerless = Vec::new();
    // Schedules a config cannot declare: one with a part alertform cannot read (never written
    // as a look-alike), one with no layer in force. They, the policies that page them and what
    // routes to those, are left to the service.
    let mut unwritten: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for s in &observed.schedules {
        if let Some(parts) = observed.unreadable.get(&s.id) {
            incomplete.extend(
                parts
                    .iter()
                    .map(|why| format!("schedule `{}`: {why}", s.name)),
            );
        } else if s.layers.is_empty() {
            layerless.push(format!("`{}`", s.name));
        } else {
            continue;
        }
        unwritten.insert(s.id.as_str());
        ignore.push(format!("schedule:{}", globset::escape(&s.name)));
    }
    for p in &observed.escalation_policies {
        if p.steps.iter().any(|s| {
            s.notify_schedule_ids
                .iter()
                .any(|id| unwritten.contains(id.as_str()))
        }) {
            stepless.insert(p.id.as_str());
            ignore.push(format!("escalation_policy:{}", globset::escape(&p.name)));
            continue;
        }
        let mut fields = vec![("name", w.string(&p.name))];
        if let Some(d) = &p.description {
            fields.push(("description", w.string(d)));
        }
        if p.repeat != 0 {
            fields.push(("repeat", p.repeat.to_string()));
        }
        let steps: Vec<Vec<(&str, String)>> = p
            .steps
            .iter()
            .filter_map(|s| {
                let mut step = Vec::new();
                if s.delay_minutes != 0 {
                    step.push(("delay_minutes", s.delay_minutes.to_string()));
                }
                step.push((
                    "notify",
                    w.references(
                        s.notify_user_ids
                            .iter()
                            .chain(&s.notify_group_ids)
                            .chain(&s.notify_schedule_ids)
                            .chain(&s.notify_outbound_ids),
                    ),
                ));
                // A step that notifies nothing alertform can name is no step of a config.
                (step.last().is_some_and(|(_, notify)| notify != "[]")).then_some(step)
            })
            .collect();
        if steps.is_empty() {
            // Nothing alertform can express (only step types it has no word for): not a policy
            // a config can declare. It, and what routes to it, are left to the service.
            stepless.insert(p.id.as_str());
            ignore.push(format!("escalation_policy:{}", globset::escape(&p.name)));
            continue;
        }
        files.entry("escalation_policies").or_default().push(entry(
            &p.id,
            fields,
            &Nested::Inline {
                field: "steps",
                block: "step",
                list: &steps,
            },
        ));
    }
    for s in observed
        .schedules
        .iter()
        .filter(|s| !unwritten.contains(s.id.as_str()))
    {
        let fields = vec![
            ("name", w.string(&s.name)),
            ("time_zone", w.string(&s.time_zone)),
        ];
        let layers: Vec<Vec<(&str, String)>> = s
            .layers
            .iter()
            .map(|l| {
                // Turn order matters: members are not sorted.
                let members: Vec<String> =
                    l.member_user_ids.iter().map(|id| w.reference(id)).collect();
                let mut layer = vec![
                    ("name", w.string(&l.name)),
                    (
                        "start",
                        w.string(&l.start.strftime("%Y-%m-%dT%H:%M:%S").to_string()),
                    ),
                    ("rotation", w.string(&l.rotation.to_string())),
                    ("members", format!("[{}]", members.join(", "))),
                ];
                if !l.restrict.is_empty() {
                    let windows: Vec<String> = l
                        .restrict
                        .iter()
                        .map(|window| {
                            let days: Vec<String> =
                                window.days.iter().map(|d| w.string(d.as_str())).collect();
                            let mut parts = Vec::new();
                            if !days.is_empty() {
                                parts.push(format!("days = [{}]", days.join(", ")));
                            }
                            parts.push(format!(
                                "from = {}",
                                w.string(&window.from.strftime("%H:%M").to_string())
                            ));
                            parts.push(format!(
                                "to = {}",
                                w.string(&window.to.strftime("%H:%M").to_string())
                            ));
                            format!("{{ {} }}", parts.join(", "))
                        })
                        .collect();
                    layer.push(("restrict", format!("[{}]", windows.join(", "))));
                }
                layer
            })
            .collect();
        files.entry("schedules").or_default().push(entry(
            &s.id,
            fields,
            &Nested::Blocks("layer", &layers),
        ));
    }
    for i in &observed.integrations {
        // An integration routed to no policy (an Opsgenie heartbeat made without alertform's alert
        // policy) cannot be declared either: it is left to the service the same way.
        if i.escalation_policy_id.is_empty() || stepless.contains(i.escalation_policy_id.as_str()) {
            ignore.push(format!("integration:{}", globset::escape(&i.name)));
            continue;
        }
        let mut fields = vec![
            ("name", w.string(&i.name)),
            ("channel", w.string(i.channel.channel().as_str())),
            ("template", w.string(&i.template)),
            ("escalation_policy", w.reference(&i.escalation_policy_id)),
        ];
        let recipients = w.references(i.recipient_user_ids.iter().chain(&i.recipient_group_ids));
        if recipients != "[]" {
            fields.push(("recipients", recipients));
        }
        if !i.enabled {
            fields.push(("enabled", "false".to_owned()));
        }
        match &i.channel {
            ChannelSettings::Api => {}
            ChannelSettings::Email { mailbox } => {
                if let Some(m) = mailbox {
                    fields.push(("mailbox", w.string(m)));
                }
            }
            ChannelSettings::Chat { platform, channel } => {
                fields.push(("chat_platform", w.string(platform.as_str())));
                fields.push(("chat_channel", w.string(channel)));
            }
            ChannelSettings::Heartbeat { interval_minutes } => {
                fields.push(("interval_minutes", interval_minutes.to_string()));
            }
        }
        let templates: Vec<(&str, String)> = (i.templates.set().into_iter())
            .map(|(k, v)| (k, w.string(v)))
            .collect();
        files.entry("integrations").or_default().push(entry(
            &i.id,
            fields,
            &Nested::Table("templates", &templates),
        ));
    }
    // Secrets are never exported: each becomes an environment variable to set.
    let mut secret_variables = Vec::new();
    let named_by_settings = crate::registry::vendor(provider)
        .capabilities
        .outbound_named_by_settings;
    for o in &observed.outbound {
        let key = w.key(&o.id);
        let mut fields = Vec::new();
        // A service that names targets after their settings takes no name from a config.
        if !named_by_settings {
            fields.push(("name", w.string(&o.name)));
        }
        fields.push(("type", w.string(o.target.kind().as_str())));
        for (field, value) in o.target.settings() {
            let text = match &value {
                serde_json::Value::String(s) => w.string(s),
                other => other.to_string(),
            };
            fields.push((field, text));
        }
        for (field, _) in o.target.secrets() {
            let variable = (extras.secret_env)(key.trim_start_matches("outbound."), field);
            fields.push((field, w.env(&variable)));
            if !secret_variables.contains(&variable) {
                secret_variables.push(variable);
            }
        }
        lifecycle(&o.id, &mut fields);
        files
            .entry("outbound")
            .or_default()
            .push((key.clone(), w.resource(&key, &fields, &Nested::None)));
    }
    let extension = match format {
        Format::Toml => "toml",
        Format::Hcl => "hcl",
    };
    let mut settings: Vec<(&str, String)> = Vec::new();
    if provider != crate::model::ProviderName::default() {
        // The exported config plans against the service it came from.
        settings.push(("provider", w.string(provider.as_str())));
    }
    if !ignore.is_empty() {
        let patterns: Vec<String> = ignore.iter().map(|p| w.string(p)).collect();
        settings.push(("ignore", format!("[{}]", patterns.join(", "))));
    }
    if let Some(kept) = &extras.settings {
        let default = crate::model::Settings::default();
        if kept.max_delete_percent != default.max_delete_percent {
            settings.push(("max_delete_percent", kept.max_delete_percent.to_string()));
        }
        if !kept.lint_disable.is_empty() {
            let codes: Vec<String> = kept.lint_disable.iter().map(|c| w.string(c)).collect();
            settings.push(("lint", format!("{{ disable = [{}] }}", codes.join(", "))));
        }
    }
    if !settings.is_empty() {
        let lines = |indent: &str| -> String {
            let line = |(k, v): &(&str, String)| format!("{indent}{k} = {v}\n");
            settings.iter().map(line).collect()
        };
        let text = match format {
            Format::Toml => format!("[settings]\n{}", lines("")),
            Format::Hcl => format!("settings {{\n{}}}\n", lines("  ")),
        };
        files
            .entry("settings")
            .or_default()
            .push((String::new(), text));
    }
    let files = files
        .into_iter()
        .map(|(name, mut blocks)| {
            blocks.sort();
            let text: String = blocks
                .into_iter()
                .map(|(_, b)| b)
                .collect::<Vec<_>>()
                .join("\n");
            (format!("{name}.{extension}"), canonical(&text, format))
        })
        .collect();
    let left_out = w.left_out.into_inner();
    let mut notes = Vec::new();
    if !left_out.is_empty() {
        notes.push(format!(
            "left out {} reference{} to what alertform cannot name (a step type it cannot express, or an object that is gone): {}",
            left_out.len(),
            if left_out.len() == 1 { "" } else { "s" },
            left_out.join(", ")
        ));
    }
    if !secret_variables.is_empty() {
        notes.push(format!(
            "secrets are not exported: set {} before planning (each is read from the environment)",
            secret_variables.join(", ")
        ));
    }
    if !layerless.is_empty() {
        notes.push(format!(
            "schedule{} {} ha{} no layer in force (each has ended), so {} no one",
            if layerless.len() == 1 { "" } else { "s" },
            layerless.join(", "),
            if layerless.len() == 1 { "s" } else { "ve" },
            if layerless.len() == 1 {
                "it pages"
            } else {
                "they page"
            },
        ));
    }
    if !ignore.is_empty() {
        notes.push(format!(
            "left to the service, through settings.ignore (schedules a config cannot declare, policies with no step alertform can express or that page such a schedule, and the integrations routed to them or to no policy): {}",
            ignore.join(", ")
        ));
    }
    Exported {
        files,
        notes,
        incomplete,
    }
}

/// Gives each live object of `kind` a unique key made from its name. Sorted by name then id, so
/// the same service always exports the same keys.
fn assign<'a>(keys: &mut HashMap<&'a str, String>, kind: Kind, mut items: Vec<(&'a str, &'a str)>) {
    let mut taken = BTreeSet::new();
    items.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    for (id, name) in items {
        let base = key_from_name(name);
        let mut key = base.clone();
        let mut n = 2;
        while !taken.insert(key.clone()) {
            key = format!("{base}_{n}");
            n += 1;
        }
        keys.insert(id, format!("{kind}.{key}"));
    }
}
