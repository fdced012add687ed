//! Decodes the spanned tree of one file into the per-kind config structs, checking everything that
//! can be checked one value at a time, and collecting every problem rather than stopping at one.

use crate::api::limits;
use std::ops::RangeInclusive;

use super::diagnostic::Problem;
use super::node::{INTERPOLATED, Node, Span, Table, Value};
use super::source::FileId;
use super::types::{
    Declared, Decoded, EscalationPolicyConfig, GroupConfig, IntegrationConfig, LayerConfig,
    LifecycleConfig, LintConfig, OutboundConfig, Reference, ResourceConfig, ScheduleConfig,
    SecretConfig, SettingsConfig, Spanned, StepConfig, TemplatesConfig, UserConfig, WindowConfig,
};
use crate::model::validate::{
    is_valid_email, is_valid_phone, is_valid_slug, is_valid_time_zone, time_zone_names,
};
use crate::model::{
    Channel, ChatPlatform, Day, Kind, OutboundType, ProviderName, Role, Rotation, is_valid_key,
};
use crate::words::{article, did_you_mean};

const LIFECYCLE: [&str; 3] = ["renamed_from", "prevent_destroy", "lint_ignore"];
const USER_FIELDS: [&str; 5] = ["name", "email", "phone", "role", "time_zone"];
const GROUP_FIELDS: [&str; 3] = ["name", "description", "members"];
const POLICY_FIELDS: [&str; 4] = ["name", "description", "repeat", "steps"];
const STEP_FIELDS: [&str; 2] = ["delay_minutes", "notify"];
const SCHEDULE_FIELDS: [&str; 3] = ["name", "time_zone", "layer"];
const LAYER_FIELDS: [&str; 5] = ["name", "start", "rotation", "members", "restrict"];
const WINDOW_FIELDS: [&str; 3] = ["days", "from", "to"];
const INTEGRATION_FIELDS: [&str; 11] = [
    "name",
    "channel",
    "template",
    "escalation_policy",
    "recipients",
    "enabled",
    "templates",
    "mailbox",
    "interval_minutes",
    "chat_platform",
    "chat_channel",
];
const TEMPLATE_FIELDS: [&str; 6] = [
    "grouping_key",
    "resolve_signal",
    "acknowledge_signal",
    "source_link",
    "title",
    "message",
];
const SETTINGS_FIELDS: [&str; 5] = [
    "ignore",
    "max_delete_percent",
    "provider",
    "lint",
    "expand_groups",
];
const LINT_FIELDS: [&str; 1] = ["disable"];
const OUTBOUND_FIELDS: [&str; 2] = ["name", "type"];
/// The fields that hold secrets (an outbound target's webhook `url` and SSH `password`).
const SECRET_FIELDS: [&str; 2] = ["url", "password"];

/// The fields of each outbound type, the required ones first (`required` of them).
const OUTBOUND_TYPE_FIELDS: [(OutboundType, &[&str], usize); 5] = [
    (OutboundType::Webhook, &["url"], 1),
    (OutboundType::Email, &["address"], 1),
    (
        OutboundType::SshRestart,
        &["host", "username", "password", "port"],
        3,
    ),
    (OutboundType::Sms, &["phone"], 1),
    (OutboundType::Slack, &["channel"], 1),
];

/// The fields that belong to one channel only.
const CHANNEL_FIELDS: [(&str, Channel); 4] = [
    ("mailbox", Channel::Email),
    ("interval_minutes", Channel::Heartbeat),
    ("chat_platform", Channel::Chat),
    ("chat_channel", Channel::Chat),
];

/// Decodes one file's top-level table into `out`, adding every problem found to `problems`.
pub fn decode_file(file: FileId, root: &Table, out: &mut Decoded, problems: &mut Vec<Problem>) {
    let mut decoder = Decoder { file, problems };
    let top_level: Vec<&str> = std::iter::once("settings")
        .chain(Kind::NAMES.iter().copied())
        .collect();
    for entry in &root.entries {
        if entry.key == "settings" {
            if let Some(table) = decoder.table(&entry.value, "settings") {
                let object = Object::new(
                    table,
                    entry.key_span.clone(),
                    "settings".to_owned(),
                    "settings",
                );
                let settings = decoder.settings(&object);
                let at = Spanned {
                    value: (),
                    file,
                    span: entry.key_span.clone(),
                };
                out.settings.push((at, settings));
            }
            continue;
        }
        let Some(kind) = Kind::parse(&entry.key) else {
            decoder.problems.push(
                Problem::at(
                    format!("unknown kind `{}`", entry.key),
                    file,
                    entry.key_span.clone(),
                    "not a kind alertform knows",
                )
                .help(
                    did_you_mean(&entry.key, top_level.iter().copied())
                        .unwrap_or_else(|| kinds_help("")),
                ),
            );
            continue;
        };
        let Some(resources) = decoder.table(&entry.value, kind.as_str()) else {
            continue;
        };
        out.resources.reserve(resources.entries.len());
        for resource in &resources.entries {
            let what = format!("{} `{}`", kind.noun(), resource.key);
            if !is_valid_key(&resource.key) {
                decoder.problems.push(
                    Problem::at(
                        format!("invalid key `{}`", resource.key),
                        file,
                        resource.key_span.clone(),
                        "keys are lowercase letters, digits, `_` and `-`",
                    )
                    .help(format!("try `{}`", suggest_key(&resource.key))),
                );
            }
            let Some(table) = decoder.table(&resource.value, &what) else {
                continue;
            };
            let noun = match kind {
                Kind::User => "a user",
                Kind::Group => "a group",
                Kind::Schedule => "a schedule",
                Kind::EscalationPolicy => "an escalation policy",
                Kind::Integration => "an integration",
                Kind::Outbound => "an outbound target",
            };
            let object = Object::new(table, resource.key_span.clone(), what, noun);
            let config = match kind {
                Kind::User => decoder.user(&object).map(ResourceConfig::User),
                Kind::Group => decoder.group(&object).map(ResourceConfig::Group),
                Kind::Schedule => decoder.schedule(&object).map(ResourceConfig::Schedule),
                Kind::EscalationPolicy => decoder
                    .policy(&object)
                    .map(ResourceConfig::EscalationPolicy),
                Kind::Integration => decoder
                    .integration(&object)
                    .map(ResourceConfig::Integration),
                Kind::Outbound => decoder.outbound(&object).map(ResourceConfig::Outbound),
            };
            if let Some(config) = config {
                out.resources.push(Declared {
                    kind,
                    key: Spanned {
                        value: resource.key.clone(),
                        file,
                        span: resource.key_span.clone(),
                    },
                    config,
                    fields: written_fields(table),
                });
            }
        }
    }
}

/// The paths of the fields written in a resource's table, two levels deep (`templates.title`,
/// `steps[0].notify`), each with its key's span (a list element: its own span).
fn written_fields(table: &Table) -> Vec<(String, Span)> {
    let mut fields = Vec::with_capacity(table.entries.len());
    for entry in &table.entries {
        fields.push((entry.key.clone(), entry.key_span.clone()));
        match &entry.value.value {
            Value::Table(inner) => {
                for nested in &inner.entries {
                    fields.push((
                        format!("{}.{}", entry.key, nested.key),
                        nested.key_span.clone(),
                    ));
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let Value::Table(inner) = &item.value else {
                        continue;
                    };
                    let at = format!("{}[{index}]", entry.key);
                    fields.push((at.clone(), item.span.clone()));
                    for nested in &inner.entries {
                        fields.push((format!("{at}.{}", nested.key), nested.key_span.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    fields
}

/// A key made valid: lowercase, other characters as `_`.
fn suggest_key(key: &str) -> String {
    key.chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A table being decoded as "`what`" (e.g. "user `alice`"), declared at `span`.
struct Object<'t> {
    table: &'t Table,
    span: Span,
    what: String,
    /// What such a table is in general ("a user", "settings"), for help texts.
    noun: &'static str,
}

impl<'t> Object<'t> {
    fn new(table: &'t Table, span: Span, what: String, noun: &'static str) -> Self {
        Object {
            table,
            span,
            what,
            noun,
        }
    }

    fn get(&self, key: &str) -> Option<&'t Node> {
        self.table.get(key).map(|e| &e.value)
    }
}

struct Decoder<'p> {
    file: FileId,
    problems: &'p mut Vec<Problem>,
}

impl Decoder<'_> {
    fn spanned<T>(&self, value: T, span: Span) -> Spanned<T> {
        Spanned {
            value,
            file: self.file,
            span,
        }
    }

    fn wrong_type(&mut self, node: &Node, field: &str, expected: &str) {
        let help = matches!(node.value, Value::Unsupported(INTERPOLATED)).then(|| {
            "alertform configs are data: HCL interpolation is not evaluated; write `$${` or `%%{` \
             for a literal `${` or `%{`"
                .to_owned()
        });
        self.problems.push(
            Problem::at(
                format!(
                    "`{field}` must be {expected}, not {}",
                    node.value.type_name()
                ),
                self.file,
                node.span.clone(),
                format!("expected {expected}"),
            )
            .help_opt(help),
        );
    }

    fn table<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n Table> {
        if let Value::Table(t) = &node.value {
            Some(t)
        } else {
            self.wrong_type(node, what, "a table");
            None
        }
    }

    /// Reports unknown fields (with a suggestion) and missing required ones.
    /// `known` is given in groups (a kind's own fields, the lifecycle fields) so that checking a
    /// resource allocates nothing unless something is wrong.
    fn check_fields(&mut self, object: &Object, known: &[&[&str]], required: &[&str]) {
        let all = || known.iter().flat_map(|group| group.iter().copied());
        for entry in &object.table.entries {
            if !all().any(|field| field == entry.key) {
                let help = did_you_mean(&entry.key, all()).unwrap_or_else(|| {
                    format!(
                        "the fields of {} are: {}",
                        object.noun,
                        all().collect::<Vec<_>>().join(", ")
                    )
                });
                self.problems.push(
                    Problem::at(
                        format!("unknown field `{}` in {}", entry.key, object.what),
                        self.file,
                        entry.key_span.clone(),
                        "unknown field",
                    )
                    .help(help),
                );
            }
        }
        for field in required {
            if object.get(field).is_none() {
                self.problems.push(Problem::at(
                    format!("{} is missing the required field `{field}`", object.what),
                    self.file,
                    object.span.clone(),
                    format!("`{field}` is required here"),
                ));
            }
        }
    }

    fn string(&mut self, object: &Object, field: &str) -> Option<Spanned<String>> {
        let node = object.get(field)?;
        let from_env;
        let value = match &node.value {
            Value::String(s) => Some(s),
            Value::Table(table) => {
                from_env = self.env_value(object, field, node, table)?;
                Some(&from_env)
            }
            _ => None,
        };
        if let Some(s) = value {
            let max = match field {
                "name" => limits::MAX_NAME,
                "description" => limits::MAX_DESCRIPTION,
                _ => limits::MAX_TEXT,
            };
            let length = s.chars().count();
            if length > max {
                self.problems.push(Problem::at(
                    format!(
                        "`{field}` of {} is {length} characters long; the service allows at most {max}",
                        object.what
                    ),
                    self.file,
                    node.span.clone(),
                    "too long",
                ));
                return None;
            }
            Some(self.spanned(s.clone(), node.span.clone()))
        } else {
            self.wrong_type(node, field, "a string");
            None
        }
    }

    /// The value of `{ env = "NAME" }` (HCL: `env("NAME")`): the environment variable, read now;
    /// one that is not set is a problem located at the reference.
    fn env_value(
        &mut self,
        object: &Object,
        field: &str,
        node: &Node,
        table: &Table,
    ) -> Option<String> {
        let name = match table.entries.as_slice() {
            [entry] if entry.key == "env" => {
                if let Value::String(name) = &entry.value.value {
                    name.clone()
                } else {
                    self.wrong_type(&entry.value, "env", "a string, the variable's name");
                    return None;
                }
            }
            _ => {
                self.wrong_type(node, field, "a string or `{ env = \"NAME\" }`");
                return None;
            }
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            self.problems.push(Problem::at(
                format!("`{name}` is not an environment variable name"),
                self.file,
                node.span.clone(),
                "letters, digits and `_`, not starting with a digit",
            ));
            return None;
        }
        match std::env::var(&name) {
            Ok(value) => Some(value),
            Err(err) => {
                let secret = SECRET_FIELDS.contains(&field);
                let why = match err {
                    std::env::VarError::NotPresent => "is not set",
                    std::env::VarError::NotUnicode(_) => "is not valid UTF-8",
                };
                self.problems.push(
                    Problem::at(
                        format!(
                            "`{field}` of {} comes from the environment variable `{name}`, which {why}",
                            object.what
                        ),
                        self.file,
                        node.span.clone(),
                        format!("`{name}` {why}"),
                    )
                    .help(format!(
                        "set `{name}` where alertform runs (a CI secret, for example), or write the value here"
                    ))
                    .unset_secret_if(secret, &name),
                );
                // Without a secret's value the config is still whole, and `validate` goes on
                // checking it with a stand-in that passes the field's checks (the problem above
                // keeps it from any service).
                secret.then(|| {
                    if field == "url" {
                        "https://unset.invalid/"
                    } else {
                        "unset"
                    }
                    .to_owned()
                })
            }
        }
    }

    fn non_empty_string(&mut self, object: &Object, field: &str) -> Option<Spanned<String>> {
        let s = self.string(object, field)?;
        if s.value.trim().is_empty() {
            self.problems.push(Problem::at(
                format!("`{field}` of {} must not be empty", object.what),
                self.file,
                s.span.clone(),
                "empty",
            ));
            return None;
        }
        Some(s)
    }

    fn bool(&mut self, object: &Object, field: &str) -> Option<bool> {
        let node = object.get(field)?;
        if let Value::Bool(b) = node.value {
            Some(b)
        } else {
            self.wrong_type(node, field, "true or false");
            None
        }
    }

    fn int<T: TryFrom<i64>>(
        &mut self,
        object: &Object,
        field: &str,
        range: RangeInclusive<i64>,
    ) -> Option<T> {
        let node = object.get(field)?;
        let Value::Integer(i) = node.value else {
            self.wrong_type(node, field, "a whole number");
            return None;
        };
        if !range.contains(&i) {
            self.problems.push(Problem::at(
                format!(
                    "`{field}` must be between {} and {}, not {i}",
                    range.start(),
                    range.end()
                ),
                self.file,
                node.span.clone(),
                "out of range",
            ));
            return None;
        }
        T::try_from(i).ok()
    }

    fn enumeration<E>(
        &mut self,
        object: &Object,
        field: &str,
        names: &[&str],
        parse: fn(&str) -> Option<E>,
    ) -> Option<E> {
        let s = self.string(object, field)?;
        if let Some(value) = parse(&s.value) {
            return Some(value);
        }
        let valid = format!("valid values: {}", names.join(", "));
        let help = match did_you_mean(&s.value, names.iter().copied()) {
            Some(hint) => format!("{hint} ({valid})"),
            None => valid,
        };
        self.problems.push(
            Problem::at(
                format!("invalid {field} `{}`", s.value),
                self.file,
                s.span.clone(),
                "not a valid value",
            )
            .help(help),
        );
        None
    }

    fn list<'t>(&mut self, object: &Object<'t>, field: &str) -> Option<&'t [Node]> {
        let node = object.get(field)?;
        if let Value::Array(items) = &node.value {
            Some(items)
        } else {
            self.wrong_type(node, field, "a list");
            None
        }
    }

    fn strings(&mut self, object: &Object, field: &str) -> Vec<Spanned<String>> {
        let items = self.list(object, field).unwrap_or_default();
        items
            .iter()
            .filter_map(|node| {
                if let Value::String(s) = &node.value {
                    Some(self.spanned(s.clone(), node.span.clone()))
                } else {
                    self.wrong_type(node, &format!("an item of `{field}`"), "a string");
                    None
                }
            })
            .collect()
    }

    fn reference(&mut self, node: &Node, field: &str) -> Option<Reference> {
        match &node.value {
            Value::String(s) | Value::Reference(s) => {
                Some(self.spanned(s.clone(), node.span.clone()))
            }
            _ => {
                self.wrong_type(node, field, "a reference such as \"user.alice\"");
                None
            }
        }
    }

    fn references(&mut self, object: &Object, field: &str) -> Vec<Reference> {
        let items = self.list(object, field).unwrap_or_default();
        items
            .iter()
            .filter_map(|node| self.reference(node, field))
            .collect()
    }

    fn lifecycle(&mut self, object: &Object) -> LifecycleConfig {
        LifecycleConfig {
            renamed_from: self
                .strings(object, "renamed_from")
                .into_iter()
                .map(|s| s.value)
                .collect(),
            prevent_destroy: self.bool(object, "prevent_destroy").unwrap_or(false),
            lint_ignore: self.lint_codes(object, "lint_ignore"),
        }
    }

    /// `time_zone`, an IANA name as `known` has it, with a did-you-mean when it is not.
    fn time_zone(&mut self, object: &Object, known: fn(&str) -> bool) -> Option<Spanned<String>> {
        let tz = self.string(object, "time_zone")?;
        if known(&tz.value) {
            return Some(tz);
        }
        let help = zone_hint(&tz.value)
            .or_else(|| did_you_mean(&tz.value, time_zone_names()))
            .unwrap_or_else(|| {
                "use an IANA time zone name such as `Europe/Berlin` or `America/New_York`"
                    .to_owned()
            });
        self.problems.push(
            Problem::at(
                format!("unknown time zone `{}`", tz.value),
                self.file,
                tz.span.clone(),
                "not an IANA time zone",
            )
            .help(help),
        );
        // The object stays, so what refers to it is not reported as undeclared too: one fault,
        // one error (the config is invalid either way).
        Some(tz)
    }

    /// A list of `alertform lint` codes, each checked.
    fn lint_codes(&mut self, object: &Object, field: &str) -> Vec<Spanned<String>> {
        let codes = self.strings(object, field);
        codes
            .into_iter()
            .filter(|code| {
                if crate::lint::check(&code.value).is_some() {
                    return true;
                }
                let all = crate::lint::CHECKS.iter().map(|c| c.code);
                let help =
                    did_you_mean(&code.value.to_uppercase(), all.clone()).unwrap_or_else(|| {
                        format!("the codes are: {}", all.collect::<Vec<_>>().join(", "))
                    });
                self.problems.push(
                    Problem::at(
                        format!("unknown lint code `{}`", code.value),
                        self.file,
                        code.span.clone(),
                        "not a lint code",
                    )
                    .help(help),
                );
                false
            })
            .collect()
    }

    fn user(&mut self, object: &Object) -> Option<UserConfig> {
        self.check_fields(object, &[&USER_FIELDS, &LIFECYCLE], &["name", "email"]);
        let name = self.non_empty_string(object, "name");
        let email = self.string(object, "email").and_then(|email| {
            if is_valid_email(&email.value) {
                Some(email)
            } else {
                self.problems.push(
                    Problem::at(
                        format!("invalid email address `{}`", email.value),
                        self.file,
                        email.span.clone(),
                        "not an email address",
                    )
                    .help("write it as `name@example.com`"),
                );
                None
            }
        });
        let phone = self.string(object, "phone").and_then(|phone| {
            if is_valid_phone(&phone.value) {
                Some(phone.value)
            } else {
                self.problems.push(
                    Problem::at(
                        format!("invalid phone number `{}`", phone.value),
                        self.file,
                        phone.span.clone(),
                        "not in E.164 form",
                    )
                    .help("write it in E.164 form: `+`, country code and number, no spaces, e.g. `+14155550100`"),
                );
                None
            }
        });
        let role = self.enumeration(object, "role", Role::NAMES, Role::parse);
        let time_zone = self
            .time_zone(object, is_valid_time_zone)
            .map(|tz| tz.value);
        let lifecycle = self.lifecycle(object);
        Some(UserConfig {
            name: name?,
            email: email?,
            phone,
            role,
            time_zone,
            lifecycle,
        })
    }

    fn group(&mut self, object: &Object) -> Option<GroupConfig> {
        self.check_fields(object, &[&GROUP_FIELDS, &LIFECYCLE], &["name"]);
        let name = self.non_empty_string(object, "name");
        let description = self.string(object, "description").map(|s| s.value);
        let members = self.references(object, "members");
        let lifecycle = self.lifecycle(object);
        Some(GroupConfig {
            name: name?,
            description,
            members,
            lifecycle,
        })
    }

    fn policy(&mut self, object: &Object) -> Option<EscalationPolicyConfig> {
        self.check_fields(object, &[&POLICY_FIELDS, &LIFECYCLE], &["name", "steps"]);
        let name = self.non_empty_string(object, "name");
        let description = self.string(object, "description").map(|s| s.value);
        let repeat = self.int(object, "repeat", 0..=9);
        let mut steps = Vec::new();
        let mut steps_ok = true;
        if let Some(items) = self.list(object, "steps") {
            if items.is_empty() {
                let span = object
                    .get("steps")
                    .map_or(object.span.clone(), |n| n.span.clone());
                self.problems.push(
                    Problem::at(
                        format!("{} has no steps", object.what),
                        self.file,
                        span,
                        "empty",
                    )
                    .help("add at least one step, e.g. `{ notify = [\"group.sre\"] }`"),
                );
                steps_ok = false;
            }
            if items.len() > limits::MAX_STEPS {
                let span = object
                    .get("steps")
                    .map_or(object.span.clone(), |n| n.span.clone());
                self.problems.push(Problem::at(
                    format!(
                        "{} has {} steps; the service allows at most {}",
                        object.what,
                        items.len(),
                        limits::MAX_STEPS
                    ),
                    self.file,
                    span,
                    "too many steps",
                ));
                steps_ok = false;
            }
            for (i, node) in items.iter().enumerate() {
                let what = format!("step {} of {}", i + 1, object.what);
                let Some(table) = self.table(node, &what) else {
                    steps_ok = false;
                    continue;
                };
                let step = Object::new(table, node.span.clone(), what, "a step");
                match self.step(&step) {
                    Some(step) => steps.push(step),
                    None => steps_ok = false,
                }
            }
        } else {
            steps_ok = false;
        }
        let lifecycle = self.lifecycle(object);
        if !steps_ok {
            return None;
        }
        Some(EscalationPolicyConfig {
            name: name?,
            description,
            repeat,
            steps,
            lifecycle,
        })
    }

    fn step(&mut self, object: &Object) -> Option<StepConfig> {
        self.check_fields(object, &[&STEP_FIELDS], &["notify"]);
        let delay_minutes = self.int(object, "delay_minutes", 0..=1440);
        let notify = self.references(object, "notify");
        if let Some(node) = object.get("notify")
            && matches!(&node.value, Value::Array(items) if items.is_empty())
        {
            self.problems.push(
                Problem::at(
                    format!("{} notifies nobody", object.what),
                    self.file,
                    node.span.clone(),
                    "empty",
                )
                .help("list at least one user or group, e.g. `[\"group.sre\"]`"),
            );
            return None;
        }
        (object.get("notify").is_some()).then_some(StepConfig {
            delay_minutes,
            notify,
        })
    }

    /// The items of a list of tables, each decoded by `item`; `None` if any is not.
    fn tables<T>(
        &mut self,
        object: &Object,
        field: &str,
        noun: &'static str,
        item: impl Fn(&mut Self, &Object) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.list(object, field)?;
        let mut all_ok = true;
        let mut out = Vec::with_capacity(items.len());
        for (i, node) in items.iter().enumerate() {
            let what = format!("{noun} {} of {}", i + 1, object.what);
            let Some(table) = self.table(node, &what) else {
                all_ok = false;
                continue;
            };
            let nested = Object::new(table, node.span.clone(), what, noun);
            match item(self, &nested) {
                Some(value) => out.push(value),
                None => all_ok = false,
            }
        }
        all_ok.then_some(out)
    }

    fn schedule(&mut self, object: &Object) -> Option<ScheduleConfig> {
        self.check_fields(
            object,
            &[&SCHEDULE_FIELDS, &LIFECYCLE],
            &["name", "time_zone", "layer"],
        );
        let name = self.non_empty_string(object, "name");
        let time_zone = self.time_zone(object, |name| {
            crate::model::validate::schedule_zone(name).is_some()
        });
        // Every layer's problems at once: a bad layer does not hide the others' (nor, through
        // the model, their members'); the config is invalid either way.
        let layers: Vec<LayerConfig> = match self.list(object, "layer") {
            Some(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, node)| {
                    let what = format!("layer {} of {}", i + 1, object.what);
                    let table = self.table(node, &what)?;
                    self.layer(&Object::new(table, node.span.clone(), what, "a layer"))
                })
                .collect(),
            None => Vec::new(),
        };
        if let Some(node) = object.get("layer")
            && matches!(&node.value, Value::Array(items) if items.is_empty())
        {
            self.problems.push(
                Problem::at(
                    format!("{} has no layers", object.what),
                    self.file,
                    node.span.clone(),
                    "empty",
                )
                .help(
                    "add a `[[schedule.KEY.layer]]` with `name`, `start`, `rotation` and `members`",
                ),
            );
        }
        if let Some(zone) = time_zone
            .as_ref()
            .and_then(|tz| crate::model::validate::schedule_zone(&tz.value))
        {
            for layer in &layers {
                let Some(start) = crate::model::validate::parse_local_datetime(&layer.start.value)
                else {
                    continue;
                };
                if let Some((before, after)) = crate::model::validate::skipped(&zone, start) {
                    self.problems.push(
                        Problem::at(
                            format!(
                                "{} does not exist in {}: the clocks jump from {before} to {after} then",
                                layer.start.value,
                                time_zone.as_ref().map_or("", |t| t.value.as_str())
                            ),
                            self.file,
                            layer.start.span.clone(),
                            "inside a daylight-saving gap",
                        )
                        .help("start the layer an hour later, or at a time the clocks do not skip"),
                    );
                }
            }
        }
        let lifecycle = self.lifecycle(object);
        Some(ScheduleConfig {
            name: name?,
            time_zone: time_zone?,
            layer: layers,
            lifecycle,
        })
    }

    fn layer(&mut self, object: &Object) -> Option<LayerConfig> {
        self.check_fields(
            object,
            &[&LAYER_FIELDS],
            &["name", "start", "rotation", "members"],
        );
        let name = self.non_empty_string(object, "name");
        let start = self.string(object, "start").and_then(|start| {
            if crate::model::validate::parse_local_datetime(&start.value).is_some() {
                return Some(start);
            }
            self.problems.push(
                Problem::at(
                    format!("invalid start `{}`", start.value),
                    self.file,
                    start.span.clone(),
                    "not a wall-clock date and time",
                )
                .help("write the local time in the schedule's zone, without an offset: `2026-11-30T09:00:00`"),
            );
            None
        });
        let rotation = self.string(object, "rotation").and_then(|rotation| {
            if Rotation::parse(&rotation.value).is_some() {
                return Some(rotation);
            }
            let positive = !rotation.value.starts_with(['0', '-']);
            self.problems.push(
                Problem::at(
                    format!("invalid rotation `{}`", rotation.value),
                    self.file,
                    rotation.span.clone(),
                    if positive { "not a rotation" } else { "not positive" },
                )
                .help("a positive whole number of hours, days or weeks: `8h`, `12h`, `1d`, `2d`, `1w`, `2w`"),
            );
            None
        });
        let members = self.references(object, "members");
        let mut members_ok = object.get("members").is_some();
        if let Some(node) = object.get("members")
            && matches!(&node.value, Value::Array(items) if items.is_empty())
        {
            self.problems.push(
                Problem::at(
                    format!("{} has no members", object.what),
                    self.file,
                    node.span.clone(),
                    "empty",
                )
                .help("list the users who take turns, e.g. `[\"user.alice\", \"user.bob\"]`"),
            );
            members_ok = false;
        }
        let restrict = if object.get("restrict").is_some() {
            self.tables(object, "restrict", "window", Self::window)
        } else {
            Some(Vec::new())
        };
        if !members_ok {
            return None;
        }
        Some(LayerConfig {
            name: name?,
            start: start?,
            rotation: rotation?,
            members,
            restrict: restrict?,
        })
    }

    fn window(&mut self, object: &Object) -> Option<WindowConfig> {
        self.check_fields(object, &[&WINDOW_FIELDS], &["from", "to"]);
        let mut days = Vec::new();
        let mut days_ok = true;
        for day in self.strings(object, "days") {
            if let Some(d) = Day::parse(&day.value) {
                days.push(d);
            } else {
                days_ok = false;
                let valid = format!("valid values: {}", Day::NAMES.join(", "));
                self.problems.push(
                    Problem::at(
                        format!("invalid day `{}`", day.value),
                        self.file,
                        day.span.clone(),
                        "not a day",
                    )
                    .help(
                        did_you_mean(&day.value.to_lowercase(), Day::NAMES.iter().copied())
                            .map_or(valid.clone(), |hint| format!("{hint} ({valid})")),
                    ),
                );
            }
        }
        let mut time = |field: &str| {
            let value = self.string(object, field)?;
            if crate::model::validate::parse_clock(&value.value).is_some() {
                return Some(value);
            }
            self.problems.push(
                Problem::at(
                    format!("invalid time `{}`", value.value),
                    self.file,
                    value.span.clone(),
                    "not HH:MM",
                )
                .help("write a wall-clock time as `HH:MM`, e.g. `09:00` or `17:30`"),
            );
            None
        };
        let from = time("from");
        let to = time("to");
        // On named days, `from` = `to` is a whole day from `from` (PagerDuty's "Monday 09:00 for
        // five days" is five of them); every day at once is no restriction at all.
        if let (Some(from), Some(to)) = (&from, &to)
            && from.value == to.value
            && days.is_empty()
            && days_ok
        {
            self.problems.push(
                Problem::at(
                    format!("{} covers every hour: `from` and `to` are both {} on every day", object.what, from.value),
                    self.file,
                    to.span.clone(),
                    "same as `from`",
                )
                .help("to cover all hours, leave `restrict` out; for whole days on some days, name them in `days`; else `to` after `from` (or before it, to wrap past midnight)"),
            );
            return None;
        }
        if !days_ok {
            return None;
        }
        Some(WindowConfig {
            days,
            from: from?,
            to: to?,
        })
    }

    fn integration(&mut self, object: &Object) -> Option<IntegrationConfig> {
        self.check_fields(
            object,
            &[&INTEGRATION_FIELDS, &LIFECYCLE],
            &["name", "channel", "template", "escalation_policy"],
        );
        let name = self.non_empty_string(object, "name");
        let channel = self.enumeration(object, "channel", Channel::NAMES, Channel::parse);
        let template = self.string(object, "template").and_then(|t| {
            if is_valid_slug(&t.value) {
                Some(t.value)
            } else {
                self.problems.push(
                    Problem::at(format!("invalid template `{}`", t.value), self.file, t.span.clone(), "not a gallery slug")
                        .help("a template is a gallery slug of lowercase letters, digits and `_`, such as `custom`, `grafana` or `prometheus_alertmanager`"),
                );
                None
            }
        });
        let escalation_policy = object
            .get("escalation_policy")
            .and_then(|node| self.reference(node, "escalation_policy"));
        let recipients = self.references(object, "recipients");
        let enabled = self.bool(object, "enabled");
        let templates = object.get("templates").and_then(|node| {
            let table = self.table(node, "templates")?;
            let templates = Object::new(
                table,
                node.span.clone(),
                format!("the templates of {}", object.what),
                "integration templates",
            );
            self.check_fields(&templates, &[&TEMPLATE_FIELDS], &[]);
            Some(TemplatesConfig {
                grouping_key: self.string(&templates, "grouping_key").map(|s| s.value),
                resolve_signal: self.string(&templates, "resolve_signal").map(|s| s.value),
                acknowledge_signal: self
                    .string(&templates, "acknowledge_signal")
                    .map(|s| s.value),
                source_link: self.string(&templates, "source_link").map(|s| s.value),
                title: self.string(&templates, "title").map(|s| s.value),
                message: self.string(&templates, "message").map(|s| s.value),
            })
        });
        let mailbox = self.string(object, "mailbox").and_then(|m| {
            if is_valid_email(&m.value) {
                Some(m.value)
            } else {
                self.problems.push(Problem::at(
                    format!("invalid mailbox `{}`", m.value),
                    self.file,
                    m.span.clone(),
                    "not an email address",
                ));
                None
            }
        });
        let interval_minutes = self.int(object, "interval_minutes", 1..=1440);
        let chat_platform = self.enumeration(
            object,
            "chat_platform",
            ChatPlatform::NAMES,
            ChatPlatform::parse,
        );
        let chat_channel = self
            .non_empty_string(object, "chat_channel")
            .map(|s| s.value);
        let lifecycle = self.lifecycle(object);

        let mut channel_ok = true;
        if let Some(channel) = channel {
            for (field, owner) in CHANNEL_FIELDS {
                if owner != channel
                    && let Some(entry) = object.table.get(field)
                {
                    channel_ok = false;
                    self.problems.push(
                        Problem::at(
                            format!(
                                "`{field}` only applies to {owner} integrations, and {} is {} {channel} integration",
                                object.what,
                                article(channel.as_str())
                            ),
                            self.file,
                            entry.key_span.clone(),
                            format!("not valid on {} `{channel}` integration", article(channel.as_str())),
                        )
                        .help(format!("remove `{field}`, or set `channel = \"{owner}\"`")),
                    );
                }
            }
            let required: &[&str] = match channel {
                Channel::Heartbeat => &["interval_minutes"],
                Channel::Chat => &["chat_platform", "chat_channel"],
                Channel::Api | Channel::Email => &[],
            };
            for field in required {
                if object.get(field).is_none() {
                    channel_ok = false;
                    self.problems.push(Problem::at(
                        format!(
                            "{} is a {channel} integration and needs `{field}`",
                            object.what
                        ),
                        self.file,
                        object.span.clone(),
                        format!("`{field}` is required here"),
                    ));
                }
            }
        }
        if !channel_ok {
            return None;
        }
        Some(IntegrationConfig {
            name: name?,
            channel: channel?,
            template: template?,
            escalation_policy: escalation_policy?,
            recipients,
            enabled,
            templates,
            mailbox,
            interval_minutes,
            chat_platform,
            chat_channel,
            lifecycle,
        })
    }

    /// A secret field: `{ env = "NAME" }` (the usual way) or a literal. The fields are
    /// [`SECRET_FIELDS`].
    fn secret(&mut self, object: &Object, field: &str) -> Option<SecretConfig> {
        let node = object.get(field)?;
        let env = match &node.value {
            Value::Table(table) => match table.entries.as_slice() {
                [entry] if entry.key == "env" => match &entry.value.value {
                    Value::String(name) => Some(name.clone()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let value = self.non_empty_string(object, field)?;
        Some(SecretConfig { value, env })
    }

    fn outbound(&mut self, object: &Object) -> Option<OutboundConfig> {
        let every: Vec<&str> = OUTBOUND_TYPE_FIELDS
            .iter()
            .flat_map(|(_, fields, _)| fields.iter().copied())
            .collect();
        self.check_fields(object, &[&OUTBOUND_FIELDS, &every, &LIFECYCLE], &["type"]);
        let name = self.non_empty_string(object, "name");
        let kind = self.enumeration(object, "type", OutboundType::NAMES, OutboundType::parse);
        let url = self.secret(object, "url").and_then(|url| {
            let ok = url::Url::parse(&url.value.value)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !ok {
                // The value may carry a token, so neither the message nor a quote repeats it.
                self.problems.push(
                    Problem::at(
                        format!("`url` of {} is not an http or https URL", object.what),
                        self.file,
                        url.value.span.clone(),
                        "not an http(s) URL",
                    )
                    .without_quote(),
                );
                return None;
            }
            Some(url)
        });
        let address = self.string(object, "address").and_then(|a| {
            if is_valid_email(&a.value) {
                Some(a.value)
            } else {
                self.problems.push(Problem::at(
                    format!("invalid address `{}`", a.value),
                    self.file,
                    a.span.clone(),
                    "not an email address",
                ));
                None
            }
        });
        let host = self.non_empty_string(object, "host").map(|h| h.value);
        let port = self.int(object, "port", 1..=65535);
        let username = self.non_empty_string(object, "username").map(|u| u.value);
        let password = self.secret(object, "password");
        let phone = self.string(object, "phone").and_then(|p| {
            if is_valid_phone(&p.value) {
                Some(p.value)
            } else {
                self.problems.push(
                    Problem::at(
                        format!("invalid phone `{}`", p.value),
                        self.file,
                        p.span.clone(),
                        "not an E.164 number",
                    )
                    .help("write it in E.164: `+` and the country code, e.g. `+14155550100`"),
                );
                None
            }
        });
        let channel = self.non_empty_string(object, "channel").map(|c| c.value);
        let lifecycle = self.lifecycle(object);
        let kind = kind?;
        let mut type_ok = true;
        for (owner, fields, required) in OUTBOUND_TYPE_FIELDS {
            for (index, field) in fields.iter().enumerate() {
                if owner == kind {
                    if index < required && object.get(field).is_none() {
                        type_ok = false;
                        self.problems.push(Problem::at(
                            format!(
                                "{} is {} {kind} target and needs `{field}`",
                                object.what,
                                article(kind.as_str())
                            ),
                            self.file,
                            object.span.clone(),
                            format!("`{field}` is required here"),
                        ));
                    }
                } else if !OUTBOUND_TYPE_FIELDS
                    .iter()
                    .any(|(t, f, _)| *t == kind && f.contains(field))
                    && let Some(entry) = object.table.get(field)
                {
                    type_ok = false;
                    self.problems.push(
                        Problem::at(
                            format!(
                                "`{field}` only applies to {owner} targets, and {} is {} {kind} target",
                                object.what,
                                article(kind.as_str())
                            ),
                            self.file,
                            entry.key_span.clone(),
                            format!("not valid on {} `{kind}` target", article(kind.as_str())),
                        )
                        .help(format!("remove `{field}`, or set `type = \"{owner}\"`")),
                    );
                }
            }
        }
        if !type_ok {
            return None;
        }
        if object.get("name").is_some() && name.is_none() {
            return None;
        }
        Some(OutboundConfig {
            name,
            kind,
            url,
            address,
            host,
            port,
            username,
            password,
            phone,
            channel,
            lifecycle,
        })
    }

    fn settings(&mut self, object: &Object) -> SettingsConfig {
        self.check_fields(object, &[&SETTINGS_FIELDS], &[]);
        let ignore = self
            .strings(object, "ignore")
            .into_iter()
            .filter(|pattern| self.check_ignore_pattern(pattern))
            .collect();
        let max_delete_percent = self.int(object, "max_delete_percent", 0..=100);
        let provider =
            self.enumeration(object, "provider", ProviderName::NAMES, ProviderName::parse);
        let lint = object.get("lint").and_then(|node| {
            let table = self.table(node, "settings.lint")?;
            let lint = Object::new(
                table,
                node.span.clone(),
                "settings.lint".to_owned(),
                "settings.lint",
            );
            self.check_fields(&lint, &[&LINT_FIELDS], &[]);
            Some(LintConfig {
                disable: self.lint_codes(&lint, "disable"),
            })
        });
        let expand_groups = self.bool(object, "expand_groups");
        SettingsConfig {
            ignore,
            max_delete_percent,
            provider,
            lint,
            expand_groups,
        }
    }

    fn check_ignore_pattern(&mut self, pattern: &Spanned<String>) -> bool {
        let Some((kind, glob)) = pattern.value.split_once(':') else {
            self.problems.push(
                Problem::at(
                    format!("invalid ignore pattern `{}`", pattern.value),
                    self.file,
                    pattern.span.clone(),
                    "expected `kind:glob`",
                )
                .help("write `KIND:GLOB`, e.g. `integration:legacy-*`"),
            );
            return false;
        };
        if Kind::parse(kind).is_none() {
            let message = format!("unknown kind `{kind}` in ignore pattern");
            let at = (self.file, pattern.span.clone());
            self.problems
                .push(Problem::at(message, at.0, at.1, "unknown kind").help(kinds_help(kind)));
            return false;
        }
        if let Err(err) = globset::Glob::new(glob) {
            self.problems.push(Problem::at(
                format!("invalid glob `{glob}`: {}", err.kind()),
                self.file,
                pattern.span.clone(),
                "invalid glob",
            ));
            return false;
        }
        true
    }
}

/// What someone who wrote `text` for a time zone most likely meant, where it is not a near-miss
/// of a name: a UTC offset (`UTC+1`, `GMT-05:00`, `+0530`), whose fixed IANA zone has its sign
/// inverted, or an abbreviation (`PST`, `CET`); both most often mean a city's zone, which
/// follows daylight saving.
fn zone_hint(text: &str) -> Option<String> {
    const CITIES: [(i32, &str); 15] = [
        (-480, "America/Los_Angeles"),
        (-420, "America/Denver"),
        (-360, "America/Chicago"),
        (-300, "America/New_York"),
        (-180, "America/Sao_Paulo"),
        (0, "Europe/London"),
        (60, "Europe/Paris"),
        (120, "Europe/Athens"),
        (180, "Europe/Moscow"),
        (330, "Asia/Kolkata"),
        (480, "Asia/Singapore"),
        (540, "Asia/Tokyo"),
        (600, "Australia/Sydney"),
        (345, "Asia/Kathmandu"),
        (-210, "America/St_Johns"),
    ];
    const ABBREVIATIONS: [(&str, &str); 16] = [
        ("PST", "America/Los_Angeles"),
        ("PDT", "America/Los_Angeles"),
        ("MDT", "America/Denver"),
        ("CDT", "America/Chicago"),
        ("EDT", "America/New_York"),
        ("BST", "Europe/London"),
        ("CEST", "Europe/Paris"),
        ("EEST", "Europe/Athens"),
        ("IST", "Asia/Kolkata"),
        ("JST", "Asia/Tokyo"),
        ("KST", "Asia/Seoul"),
        ("SGT", "Asia/Singapore"),
        ("AEST", "Australia/Sydney"),
        ("AEDT", "Australia/Sydney"),
        ("NZST", "Pacific/Auckland"),
        ("NZDT", "Pacific/Auckland"),
    ];
    let upper = text.trim().to_uppercase();
    if let Some((_, city)) = ABBREVIATIONS.iter().find(|(a, _)| *a == upper) {
        return Some(format!(
            "`{text}` is an abbreviation, not a zone: write the city's zone, such as `{city}`, which follows daylight saving"
        ));
    }
    let rest = upper
        .strip_prefix("UTC")
        .or_else(|| upper.strip_prefix("GMT"))
        .unwrap_or(&upper)
        .trim();
    let (sign, digits) = match rest.chars().next()? {
        '+' => (1, &rest[1..]),
        '-' => (-1, &rest[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i32, i32) = if digits.len() <= 2 {
        (digits.parse().ok()?, 0)
    } else {
        let split = digits.len() - 2;
        (digits[..split].parse().ok()?, digits[split..].parse().ok()?)
    };
    if hours > 14 || minutes >= 60 {
        return None;
    }
    let offset = sign * (hours * 60 + minutes);
    let city = CITIES
        .iter()
        .find(|(o, _)| *o == offset)
        .map(|(_, city)| format!(" (`{city}` is one)"))
        .unwrap_or_default();
    let sign_char = if sign > 0 { '+' } else { '-' };
    let shown = if minutes == 0 {
        format!("UTC{sign_char}{hours}")
    } else {
        format!("UTC{sign_char}{hours}:{minutes:02}")
    };
    if minutes != 0 {
        return Some(format!(
            "the IANA database has no fixed zone for {shown}: write the zone of a city at that offset{city}"
        ));
    }
    if offset == 0 {
        return Some("write `UTC`, or a city's zone such as `Europe/London` if the place follows daylight saving".to_owned());
    }
    let inverted = if sign > 0 { '-' } else { '+' };
    Some(format!(
        "a fixed {shown} is `Etc/GMT{inverted}{hours}` in the IANA database (its sign is inverted: `Etc/GMT{inverted}{hours}` is {hours} hour{} {} UTC), but a city's zone{city} is usually what is meant: it follows daylight saving",
        if hours == 1 { "" } else { "s" },
        if sign > 0 { "ahead of" } else { "behind" },
    ))
}

/// Help for `given`, which names no kind: the nearest kind, or the list of them.
fn kinds_help(given: &str) -> String {
    did_you_mean(given, Kind::NAMES.iter().copied())
        .unwrap_or_else(|| format!("the kinds are: {}", Kind::NAMES.join(", ")))
}
