//! From decoded files to a [`Model`]: the checks that span resources — duplicate addresses,
//! references, membership cycles, unique names and emails, declared-but-ignored.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;

use super::diagnostic::Problem;
use super::types::{
    Declared, Decoded, IntegrationConfig, LifecycleConfig, OutboundConfig, Reference,
    ResourceConfig, ScheduleConfig, SecretConfig, Spanned,
};
use crate::model::{
    Address, Channel, ChannelSettings, ChatPlatform, EscalationPolicy, Group, IgnoreRule,
    Integration, Kind, Layer, Lifecycle, Model, Outbound, OutboundTarget, Role, Rotation, Schedule,
    Secret, Settings, Step, Templates, User, Window,
};
use crate::words::{article, closest};

/// Builds the model, or every cross-resource problem found.
pub fn build(decoded: &Decoded) -> Result<Model, Vec<Problem>> {
    let mut builder = Builder {
        declared: HashMap::new(),
        problems: Vec::new(),
    };
    for resource in &decoded.resources {
        let address = (resource.kind, resource.key.value.as_str());
        if let Some(first) = builder.declared.get(&address) {
            let address = Address::new(address.0, address.1);
            builder.problems.push(
                Problem::at(
                    format!("`{address}` is declared twice"),
                    resource.key.file,
                    resource.key.span.clone(),
                    "declared again here",
                )
                .label(
                    first.key.file,
                    first.key.span.clone(),
                    "first declared here",
                )
                .help("every address `KIND.KEY` must be unique across all files of a config"),
            );
        } else {
            builder.declared.insert(address, resource);
        }
    }
    let settings = builder.settings(decoded);
    let mut model = Model {
        settings,
        ..Model::default()
    };
    // Sorted, so problems come out in a stable order.
    let mut resources: Vec<(Kind, &str, &Declared)> = builder
        .declared
        .iter()
        .map(|(&(kind, key), resource)| (kind, key, *resource))
        .collect();
    resources.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    // Collected in address order, then built into the maps in one go.
    let (mut users, mut groups, mut schedules, mut policies, mut integrations, mut outbound) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (_, key, resource) in resources {
        let key = key.to_owned();
        match &resource.config {
            ResourceConfig::User(u) => {
                users.push((
                    key,
                    User {
                        name: u.name.value.clone(),
                        email: u.email.value.clone(),
                        phone: u.phone.clone(),
                        role: u.role.unwrap_or(Role::Responder),
                        time_zone: u.time_zone.clone(),
                        lifecycle: lifecycle(&u.lifecycle),
                    },
                ));
            }
            ResourceConfig::Group(g) => {
                let members =
                    builder.resolve_all(&g.members, &[Kind::User, Kind::Group], "members");
                groups.push((
                    key,
                    Group {
                        name: g.name.value.clone(),
                        description: g.description.clone(),
                        members,
                        lifecycle: lifecycle(&g.lifecycle),
                    },
                ));
            }
            ResourceConfig::Schedule(config) => {
                if let Some(schedule) = builder.schedule(config) {
                    schedules.push((key, schedule));
                }
            }
            ResourceConfig::EscalationPolicy(p) => {
                let steps = p
                    .steps
                    .iter()
                    .map(|s| Step {
                        delay_minutes: s.delay_minutes.unwrap_or(0),
                        notify: builder.resolve_all(
                            &s.notify,
                            &[Kind::User, Kind::Group, Kind::Schedule, Kind::Outbound],
                            "notify",
                        ),
                    })
                    .collect();
                policies.push((
                    key,
                    EscalationPolicy {
                        name: p.name.value.clone(),
                        description: p.description.clone(),
                        repeat: p.repeat.unwrap_or(0),
                        steps,
                        lifecycle: lifecycle(&p.lifecycle),
                    },
                ));
            }
            ResourceConfig::Integration(i) => {
                let integration = builder.integration(i);
                integrations.push((key, integration));
            }
            ResourceConfig::Outbound(o) => {
                let target = outbound_target(&key, o);
                outbound.push((key, target));
            }
        }
    }
    model.users = users.into_iter().collect();
    model.groups = groups.into_iter().collect();
    model.schedules = schedules.into_iter().collect();
    model.escalation_policies = policies.into_iter().collect();
    model.integrations = integrations.into_iter().collect();
    model.outbound = outbound.into_iter().collect();
    builder.check_cycles(decoded);
    builder.check_unique(decoded);
    builder.check_ignored(decoded, &model.settings);
    if builder.problems.is_empty() {
        Ok(model)
    } else {
        Err(builder.problems)
    }
}

/// An outbound target; the decoder has checked that its type's required fields are there.
fn outbound_target(key: &str, o: &OutboundConfig) -> Outbound {
    let secret = |s: &Option<SecretConfig>| {
        s.as_ref().map_or_else(
            || Secret::new(String::new(), None),
            |s| Secret::new(s.value.value.clone(), s.env.clone()),
        )
    };
    let plain = [&o.address, &o.host, &o.username, &o.phone, &o.channel];
    let target = OutboundTarget::from_settings(o.kind, plain, o.port, |field| {
        secret(if field == "url" { &o.url } else { &o.password })
    });
    Outbound {
        name: o
            .name
            .as_ref()
            .map_or_else(|| key.to_owned(), |n| n.value.clone()),
        target,
        lifecycle: lifecycle(&o.lifecycle),
    }
}

fn lifecycle(config: &LifecycleConfig) -> Lifecycle {
    Lifecycle {
        renamed_from: config.renamed_from.clone(),
        prevent_destroy: config.prevent_destroy,
        lint_ignore: config.lint_ignore.iter().map(|c| c.value.clone()).collect(),
    }
}

struct Builder<'d> {
    /// (kind, key) → the resource.
    declared: HashMap<(Kind, &'d str), &'d Declared>,
    problems: Vec<Problem>,
}

impl Builder<'_> {
    fn settings(&mut self, decoded: &Decoded) -> Settings {
        let mut all = decoded.settings.iter();
        let Some((first_at, first)) = all.next() else {
            return Settings::default();
        };
        for (at, _) in all {
            self.problems.push(
                Problem::at(
                    "`settings` is declared twice",
                    at.file,
                    at.span.clone(),
                    "declared again here",
                )
                .label(first_at.file, first_at.span.clone(), "first declared here")
                .help("keep one `settings` table for the whole config"),
            );
        }
        let defaults = Settings::default();
        Settings {
            ignore: first
                .ignore
                .iter()
                .filter_map(|pattern| {
                    let (kind, glob) = pattern.value.split_once(':')?;
                    Some(IgnoreRule {
                        kind: Kind::parse(kind)?,
                        glob: glob.to_owned(),
                    })
                })
                .collect(),
            max_delete_percent: first
                .max_delete_percent
                .unwrap_or(defaults.max_delete_percent),
            provider: first.provider,
            expand_groups: first.expand_groups.unwrap_or(false),
            lint_disable: first
                .lint
                .iter()
                .flat_map(|l| &l.disable)
                .map(|c| c.value.clone())
                .collect(),
        }
    }

    fn integration(&mut self, i: &IntegrationConfig) -> Integration {
        let channel = match i.channel {
            Channel::Api => ChannelSettings::Api,
            Channel::Email => ChannelSettings::Email {
                mailbox: i.mailbox.clone(),
            },
            Channel::Chat => ChannelSettings::Chat {
                platform: i.chat_platform.unwrap_or(ChatPlatform::Slack),
                channel: i.chat_channel.clone().unwrap_or_default(),
            },
            Channel::Heartbeat => ChannelSettings::Heartbeat {
                interval_minutes: i.interval_minutes.unwrap_or(1),
            },
        };
        let escalation_policy = self
            .resolve(
                &i.escalation_policy,
                &[Kind::EscalationPolicy],
                "escalation_policy",
            )
            .map(|a| a.key)
            .unwrap_or_default();
        let recipients = self.resolve_all(&i.recipients, &[Kind::User, Kind::Group], "recipients");
        let templates = i.templates.clone().unwrap_or_default();
        Integration {
            name: i.name.value.clone(),
            channel,
            template: i.template.clone(),
            escalation_policy,
            recipients,
            enabled: i.enabled.unwrap_or(true),
            templates: Templates {
                grouping_key: templates.grouping_key,
                resolve_signal: templates.resolve_signal,
                acknowledge_signal: templates.acknowledge_signal,
                source_link: templates.source_link,
                title: templates.title,
                message: templates.message,
            },
            lifecycle: lifecycle(&i.lifecycle),
        }
    }

    /// A schedule, its values parsed (the decoder checked them) and its members resolved.
    fn schedule(&mut self, config: &ScheduleConfig) -> Option<Schedule> {
        let mut layers = Vec::with_capacity(config.layer.len());
        for layer in &config.layer {
            // The decoder has checked the values (and reported a start the clocks skip).
            let start = crate::model::validate::parse_local_datetime(&layer.start.value)?;
            let members: Vec<Address> = layer
                .members
                .iter()
                .filter_map(|m| self.resolve(m, &[Kind::User], "members"))
                .collect();
            let restrict = layer
                .restrict
                .iter()
                .filter_map(|w| {
                    Some(Window {
                        days: w.days.iter().copied().collect(),
                        from: crate::model::validate::parse_clock(&w.from.value)?,
                        to: crate::model::validate::parse_clock(&w.to.value)?,
                    })
                })
                .collect();
            layers.push(Layer {
                name: layer.name.value.clone(),
                start,
                rotation: Rotation::parse(&layer.rotation.value)?,
                members,
                restrict,
            });
        }
        Some(Schedule {
            name: config.name.value.clone(),
            time_zone: config.time_zone.value.clone(),
            layers,
            lifecycle: lifecycle(&config.lifecycle),
        })
    }

    fn resolve_all(
        &mut self,
        references: &[Reference],
        allowed: &[Kind],
        field: &str,
    ) -> BTreeSet<Address> {
        references
            .iter()
            .filter_map(|r| self.resolve(r, allowed, field))
            .collect()
    }

    /// Resolves a reference to a declared resource of one of the `allowed` kinds. A bare key is
    /// accepted only where one kind fits.
    fn resolve(&mut self, reference: &Reference, allowed: &[Kind], field: &str) -> Option<Address> {
        let text = reference.value.as_str();
        // What the reference is looked up as: (kind, key).
        let found = match text.split_once('.') {
            Some((kind_text, key)) => Kind::parse(kind_text)
                .filter(|kind| allowed.contains(kind))
                .map(|kind| (kind, key)),
            None => match allowed {
                [kind] => Some((*kind, text)),
                _ => None,
            },
        };
        if let Some((kind, key)) = found
            && self.declared.contains_key(&(kind, key))
        {
            return Some(Address::new(kind, key));
        }
        // Not declared, or not a reference: say why.
        // "a user", "a user or group", "a user, group or schedule".
        let nouns: Vec<&str> = allowed.iter().map(|k| k.noun()).collect();
        let allowed_text = match nouns.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => nouns.join(""),
        };
        let address = match text.split_once('.') {
            Some((kind_text, key)) => {
                let Some(kind) = Kind::parse(kind_text) else {
                    let help = closest(kind_text, Kind::NAMES.iter().copied()).map_or_else(
                        || format!("`{field}` takes a {allowed_text}"),
                        |k| format!("did you mean `{k}.{key}`?"),
                    );
                    self.problems.push(
                        Problem::at(
                            format!("`{text}` is not a reference"),
                            reference.file,
                            reference.span.clone(),
                            "unknown kind",
                        )
                        .help(help),
                    );
                    return None;
                };
                if !allowed.contains(&kind) {
                    self.problems.push(Problem::at(
                        format!(
                            "`{field}` takes a {allowed_text}, not {} {}",
                            article(kind.noun()),
                            kind.noun()
                        ),
                        reference.file,
                        reference.span.clone(),
                        format!("{} reference", kind.noun()),
                    ));
                    return None;
                }
                Address::new(kind, key)
            }
            None => {
                if let [kind] = allowed {
                    Address::new(*kind, text)
                } else {
                    let existing = allowed
                        .iter()
                        .find(|&&kind| self.declared.contains_key(&(kind, text)))
                        .map(|&kind| Address::new(kind, text));
                    let help = match existing {
                        Some(a) => format!("did you mean `{a}`?"),
                        None => format!("write `user.{text}` or `group.{text}`"),
                    };
                    self.problems.push(
                        Problem::at(
                            format!(
                                "`{field}` needs the kind of each reference, as in `user.{text}`"
                            ),
                            reference.file,
                            reference.span.clone(),
                            "bare key",
                        )
                        .help(help),
                    );
                    return None;
                }
            }
        };
        let bare = !text.contains('.');
        let candidates: Vec<String> = self
            .declared
            .keys()
            .filter(|(kind, _)| allowed.contains(kind))
            .map(|&(kind, key)| {
                if bare {
                    key.to_owned()
                } else {
                    Address::new(kind, key).to_string()
                }
            })
            .collect();
        let help = closest(text, candidates.iter().map(String::as_str)).map_or_else(
            || format!("declare `{address}`, or refer to an existing {allowed_text}"),
            |c| format!("did you mean `{c}`?"),
        );
        self.problems.push(
            Problem::at(
                format!("{} `{}` is not declared", address.kind.noun(), address.key),
                reference.file,
                reference.span.clone(),
                "no such resource",
            )
            .help(help),
        );
        None
    }

    /// A group may contain groups, but not itself through any chain of them.
    fn check_cycles(&mut self, decoded: &Decoded) {
        let mut graph: DiGraphMap<&str, ()> = DiGraphMap::new();
        let mut edges: BTreeMap<(&str, &str), &Reference> = BTreeMap::new();
        for resource in &decoded.resources {
            let ResourceConfig::Group(group) = &resource.config else {
                continue;
            };
            let from = resource.key.value.as_str();
            graph.add_node(from);
            for member in &group.members {
                if let Some(to) = member.value.strip_prefix("group.") {
                    graph.add_edge(from, to, ());
                    edges.entry((from, to)).or_insert(member);
                }
            }
        }
        for scc in tarjan_scc(&graph) {
            let cyclic = scc.len() > 1 || graph.contains_edge(scc[0], scc[0]);
            if !cyclic {
                continue;
            }
            let mut members: Vec<&str> = scc.clone();
            members.sort_unstable();
            let names = members
                .iter()
                .map(|m| format!("`group.{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut problem = Problem::new(format!("group membership cycle between {names}")).help(
                "a group may contain other groups, but never itself, directly or through others",
            );
            for (&(from, to), reference) in &edges {
                if members.contains(&from) && members.contains(&to) {
                    problem = problem.label(
                        reference.file,
                        reference.span.clone(),
                        format!("`group.{from}` contains `group.{to}`"),
                    );
                }
            }
            self.problems.push(problem);
        }
    }

    /// Live objects are matched by email (users) or name (the rest), so those must be unique.
    fn check_unique(&mut self, decoded: &Decoded) {
        let mut seen: HashMap<(Kind, Cow<str>), &Spanned<String>> =
            HashMap::with_capacity(decoded.resources.len());
        for resource in &decoded.resources {
            let (identity, field) = match &resource.config {
                ResourceConfig::User(u) => (&u.email, "email"),
                ResourceConfig::Group(g) => (&g.name, "name"),
                ResourceConfig::Schedule(s) => (&s.name, "name"),
                ResourceConfig::EscalationPolicy(p) => (&p.name, "name"),
                ResourceConfig::Integration(i) => (&i.name, "name"),
                ResourceConfig::Outbound(o) => match &o.name {
                    Some(name) => (name, "name"),
                    // Named by its key, which is unique already.
                    None => continue,
                },
            };
            let normalized = if resource.kind == Kind::User {
                Cow::Owned(identity.value.to_lowercase())
            } else {
                Cow::Borrowed(identity.value.as_str())
            };
            match seen.entry((resource.kind, normalized)) {
                Entry::Occupied(first) => self.problems.push(
                    Problem::at(
                        format!(
                            "two {} have the {field} `{}`",
                            resource.kind.plural(),
                            identity.value
                        ),
                        identity.file,
                        identity.span.clone(),
                        "used again here",
                    )
                    .label(
                        first.get().file,
                        first.get().span.clone(),
                        "first used here",
                    )
                    .help(if field == "email" {
                        "live users are matched by email, case-insensitively, so it must be unique"
                            .to_owned()
                    } else {
                        format!(
                            "live {} are matched by name, so it must be unique",
                            resource.kind.plural()
                        )
                    }),
                ),
                Entry::Vacant(slot) => {
                    slot.insert(identity);
                }
            }
        }
    }

    /// A declared resource that `settings.ignore` also covers would be both managed and not.
    fn check_ignored(&mut self, decoded: &Decoded, settings: &Settings) {
        let Some((_, config)) = decoded.settings.first() else {
            return;
        };
        if settings.ignore.is_empty() {
            return;
        }
        for resource in &decoded.resources {
            let names: Vec<&Spanned<String>> = match &resource.config {
                ResourceConfig::User(u) => vec![&u.name, &u.email],
                ResourceConfig::Group(g) => vec![&g.name],
                ResourceConfig::Schedule(s) => vec![&s.name],
                ResourceConfig::EscalationPolicy(p) => vec![&p.name],
                ResourceConfig::Integration(i) => vec![&i.name],
                ResourceConfig::Outbound(o) => o.name.iter().collect(),
            };
            for (rule, pattern) in settings.ignore.iter().zip(&config.ignore) {
                if let Some(name) = names.iter().find(|n| rule.matches(resource.kind, &n.value)) {
                    self.problems.push(
                        Problem::at(
                            format!(
                                "`{}.{}` is declared but also ignored",
                                resource.kind, resource.key.value
                            ),
                            name.file,
                            name.span.clone(),
                            "declared here",
                        )
                        .label(pattern.file, pattern.span.clone(), "ignored here")
                        .help("remove the resource or narrow the ignore pattern"),
                    );
                }
            }
        }
    }
}
