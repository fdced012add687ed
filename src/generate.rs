//! Synthetic but realistic orgs of any size, for benchmarks and scale tests: about 20 % users,
//! 5 % groups (some nested), 15 % escalation policies of 1–4 steps and 60 % integrations over all
//! four channels, every reference valid. Deterministic for a given size. An org is built as a
//! [`Model`] and written with the one config writer (`export::write_model`), as `export` and `migrate`
//! write theirs.

use std::collections::BTreeSet;

use crate::config::source::Format;
use crate::model::{
    Address, ChannelSettings, ChatPlatform, Day, EscalationPolicy, Group, Integration, Kind, Layer,
    Lifecycle, Model, ProviderName, Role, Rotation, Schedule, Step, Templates, User, Window,
};

/// A small deterministic generator (SplitMix64): reproducible orgs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

const TEMPLATES: [&str; 6] = [
    "grafana",
    "prometheus_alertmanager",
    "datadog",
    "aws_cloudwatch",
    "sentry",
    "custom",
];

/// A generated org: its model, and the seed file its vendor's emulation needs, if any.
#[derive(Debug, Clone)]
pub struct Generated {
    pub model: Model,
    /// `(file name, JSON)` for `serve --api VENDOR --seed`.
    pub seed: Option<(&'static str, serde_json::Value)>,
}

impl Generated {
    /// The config files (`export`'s writer, canonical form) and the seed file.
    pub fn files(&self, format: Format) -> Vec<(String, String)> {
        let mut files = crate::export::write_model(&self.model, format).files;
        if let Some((name, seed)) = &self.seed {
            files.push((
                (*name).to_owned(),
                serde_json::to_string(seed).expect("a seed serialises") + "\n",
            ));
        }
        files
    }
}

fn address(kind: Kind, prefix: &str, n: usize) -> Address {
    Address::new(kind, format!("{prefix}{n}"))
}

fn user(name: String, email: String, role: Role, phone: Option<String>, zone: &str) -> User {
    User {
        name,
        email,
        phone,
        role,
        time_zone: Some(zone.to_owned()),
        lifecycle: Lifecycle::default(),
    }
}

fn group(name: String, members: BTreeSet<Address>) -> Group {
    Group {
        name,
        description: None,
        members,
        lifecycle: Lifecycle::default(),
    }
}

fn policy(name: String, repeat: u8, steps: Vec<Step>) -> EscalationPolicy {
    EscalationPolicy {
        name,
        description: None,
        repeat,
        steps,
        lifecycle: Lifecycle::default(),
    }
}

fn integration(
    name: String,
    channel: ChannelSettings,
    template: &str,
    policy: String,
    recipients: BTreeSet<Address>,
) -> Integration {
    Integration {
        name,
        channel,
        template: template.to_owned(),
        escalation_policy: policy,
        recipients,
        enabled: true,
        templates: Templates::default(),
        lifecycle: Lifecycle::default(),
    }
}

/// The channel named `channel` with no settings of its own (api, email).
fn plain(channel: &str) -> ChannelSettings {
    match channel {
        "email" => ChannelSettings::Email { mailbox: None },
        _ => ChannelSettings::Api,
    }
}

/// How many users, groups, policies and integrations make an org of about `objects` objects.
fn counts(objects: usize) -> (usize, usize, usize, usize) {
    let users = (objects / 5).max(1);
    let groups = (objects / 20).max(1);
    let policies = (objects * 15 / 100).max(1);
    (
        users,
        groups,
        policies,
        objects.saturating_sub(users + groups + policies).max(1),
    )
}

/// Group `g{g}`, named `name`.
fn add_group(model: &mut Model, g: usize, name: String, members: BTreeSet<Address>) {
    model.groups.insert(format!("g{g}"), group(name, members));
}

/// The bundled service's org of about `objects` objects.
pub fn org(objects: usize) -> Generated {
    let (users, groups, policies, integrations) = counts(objects);
    let mut rng = Rng(0x5EED ^ objects as u64);
    let mut model = Model::default();
    for i in 0..users {
        model.users.insert(
            format!("u{i}"),
            user(
                format!("User {i}"),
                format!("user{i}@example.com"),
                Role::Responder,
                None,
                ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"][i % 4],
            ),
        );
    }
    for g in 0..groups {
        let mut members: BTreeSet<Address> = (0..5)
            .map(|_| address(Kind::User, "u", rng.below(users)))
            .collect();
        // Every fourth group nests an earlier one.
        if g % 4 == 3 {
            members.insert(address(Kind::Group, "g", rng.below(g)));
        }
        add_group(&mut model, g, format!("Group {g}"), members);
    }
    for p in 0..policies {
        let steps: Vec<Step> = (0..=rng.below(4))
            .map(|s| {
                let target = if s % 2 == 0 {
                    address(Kind::Group, "g", rng.below(groups))
                } else {
                    address(Kind::User, "u", rng.below(users))
                };
                Step {
                    delay_minutes: u16::try_from(s * 10).unwrap_or(u16::MAX),
                    notify: BTreeSet::from([target]),
                }
            })
            .collect();
        let repeat = u8::try_from(p % 3).unwrap_or(0);
        model.escalation_policies.insert(
            format!("p{p}"),
            policy(format!("Policy {p}"), repeat, steps),
        );
    }
    for i in 0..integrations {
        let routed = format!("p{}", rng.below(policies));
        let (channel, template) = match i % 10 {
            0..=5 => (ChannelSettings::Api, TEMPLATES[i % TEMPLATES.len()]),
            6 | 7 => (ChannelSettings::Email { mailbox: None }, "custom"),
            8 => (
                ChannelSettings::Chat {
                    platform: ChatPlatform::Slack,
                    channel: format!("#alerts-{i}"),
                },
                "slack",
            ),
            _ => (
                ChannelSettings::Heartbeat {
                    interval_minutes: u16::try_from(5 + i % 60).unwrap_or(5),
                },
                "cron_heartbeat",
            ),
        };
        let recipients = if i % 3 == 0 {
            BTreeSet::from([address(Kind::Group, "g", rng.below(groups))])
        } else {
            BTreeSet::new()
        };
        model.integrations.insert(
            format!("i{i}"),
            integration(
                format!("Integration {i}"),
                channel,
                template,
                routed,
                recipients,
            ),
        );
    }
    Generated { model, seed: None }
}

/// The environment variable a generated org's secrets are read from.
pub const GENERATED_SECRET: &str = "ALERTFORM_GENERATED_SECRET";

/// What differs between the vendors' generated orgs: each vendor's folder declares its own.
pub struct OrgShape {
    pub provider: ProviderName,
    pub seed: u64,
    pub user: fn(usize) -> User,
    /// The kind of a step's second target (OnCall pages teams; PagerDuty rules cannot).
    pub second_target: Kind,
    pub repeat: fn(usize) -> u8,
    pub integration_name: &'static str,
    /// (channel, template), taken in turn.
    pub integrations: &'static [(&'static str, &'static str)],
    /// The seed file for `serve --api`: (name, JSON), given the users' teams.
    pub seed_file: fn(usize, &[Vec<usize>]) -> (&'static str, serde_json::Value),
}

/// `user{i}@example.com`, named `name`, with `role`, a phone when `phone`, in `zone`.
pub fn numbered(i: usize, name: String, role: Role, phone: bool, zone: &str) -> User {
    user(
        name,
        format!("user{i}@example.com"),
        role,
        phone.then(|| format!("+1415555{:04}", i % 10_000)),
        zone,
    )
}

/// The roles of the users after the first, in turn.
pub const ROLES: [Role; 5] = [
    Role::Responder,
    Role::Responder,
    Role::Admin,
    Role::Observer,
    Role::IntegrationsAdmin,
];

/// An org of about `objects` objects that a vendor of this `vendor` shape can hold, and its
/// seed file.
pub fn vendor_org(objects: usize, vendor: &OrgShape) -> Generated {
    let (users, groups, policies, integrations) = counts(objects);
    let mut rng = Rng(vendor.seed ^ objects as u64);
    let mut model = Model::default();
    model.settings.provider = Some(vendor.provider);
    let mut teams_of: Vec<Vec<usize>> = vec![Vec::new(); users];
    for i in 0..users {
        model.users.insert(format!("u{i}"), (vendor.user)(i));
    }
    for g in 0..groups {
        let mut members: Vec<usize> = (0..5).map(|_| rng.below(users)).collect();
        members.sort_unstable();
        members.dedup();
        for &m in &members {
            teams_of[m].push(g);
        }
        let members = members
            .iter()
            .map(|&m| address(Kind::User, "u", m))
            .collect();
        add_group(&mut model, g, format!("Team {g}"), members);
    }
    for p in 0..policies {
        let steps: Vec<Step> = (0..=rng.below(3))
            .map(|s| {
                let mut notify = BTreeSet::from([address(Kind::User, "u", rng.below(users))]);
                if s % 2 == 0 {
                    let (prefix, count) = match vendor.second_target {
                        Kind::Group => ("g", groups),
                        _ => ("u", users),
                    };
                    notify.insert(address(vendor.second_target, prefix, rng.below(count)));
                }
                Step {
                    delay_minutes: u16::try_from(s * 10).unwrap_or(u16::MAX),
                    notify,
                }
            })
            .collect();
        model.escalation_policies.insert(
            format!("p{p}"),
            policy(format!("Policy {p}"), (vendor.repeat)(p), steps),
        );
    }
    for i in 0..integrations {
        let routed = format!("p{}", rng.below(policies));
        let (channel, template) = vendor.integrations[i % vendor.integrations.len()];
        model.integrations.insert(
            format!("i{i}"),
            integration(
                format!("{} {i}", vendor.integration_name),
                plain(channel),
                template,
                routed,
                BTreeSet::new(),
            ),
        );
    }
    Generated {
        model,
        seed: Some((vendor.seed_file)(groups, &teams_of)),
    }
}

/// Makes the first step of every generated escalation policy page a schedule too (policy `i`
/// the schedule `i mod count`, in the order of their numbers), so that generated orgs with
/// schedules use them as people do: `verify`, `oncall` and the crash trials then see
/// escalations that depend on who is on call.
pub fn page_schedules(model: &mut Model, count: usize) {
    if count == 0 {
        return;
    }
    for (key, policy) in &mut model.escalation_policies {
        let number: usize = key.trim_start_matches('p').parse().unwrap_or(0);
        if let Some(first) = policy.steps.first_mut() {
            first
                .notify
                .insert(address(Kind::Schedule, "s", number % count));
        }
    }
}

/// The layers of generated schedules, as a vendor can hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layers {
    /// A weekly, a daily and an eight-hour layer over each other (the later winning).
    Overlapping,
    /// The same, the third a business-hours cover restricted to weekdays.
    OverlappingRestricted,
    /// A daily day layer (08:00–20:00) and a weekly night layer (20:00–08:00) that never
    /// overlap, for a vendor that pages every layer with someone on call.
    DayAndNight,
    /// None: the vendor holds no schedules, for this reason.
    None(&'static str),
}

/// Adds `count` schedules over the first users of an org of `objects` objects, with `layers`,
/// in rotating zones. Deterministic.
pub fn add_schedules(model: &mut Model, objects: usize, count: usize, layers: Layers) {
    const ZONES: [&str; 4] = [
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
    ];
    let users = (objects / 5).max(1);
    let members = |from: usize, n: usize| -> Vec<Address> {
        (from..from + n)
            .map(|i| address(Kind::User, "u", i % users))
            .collect()
    };
    let time = |text: &str| text.parse().expect("a time");
    let window = |from: &str, to: &str, weekdays: bool| Window {
        days: if weekdays {
            [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]
                .into_iter()
                .collect()
        } else {
            BTreeSet::new()
        },
        from: time(from),
        to: time(to),
    };
    let layer =
        |name: &str, rotation: Rotation, members: Vec<Address>, restrict: Vec<Window>| Layer {
            name: name.to_owned(),
            start: "2026-11-30T09:00:00".parse().expect("a start"),
            rotation,
            members,
            restrict,
        };
    for s in 0..count {
        let weekly = layer("Weekly", Rotation::Days(7), members(s, 3), Vec::new());
        let daily = layer("Daily", Rotation::Days(1), members(s + 3, 2), Vec::new());
        let layers = match layers {
            Layers::DayAndNight => vec![
                layer(
                    "Days",
                    Rotation::Days(1),
                    members(s, 2),
                    vec![window("08:00", "20:00", false)],
                ),
                layer(
                    "Nights",
                    Rotation::Days(7),
                    members(s + 2, 2),
                    vec![window("20:00", "08:00", false)],
                ),
            ],
            Layers::OverlappingRestricted => vec![
                weekly,
                daily,
                layer(
                    "Business hours",
                    Rotation::Days(1),
                    members(s + 5, 1),
                    vec![window("09:00", "17:00", true)],
                ),
            ],
            Layers::Overlapping | Layers::None(_) => vec![
                weekly,
                daily,
                layer("Shifts", Rotation::Hours(8), members(s + 5, 2), Vec::new()),
            ],
        };
        model.schedules.insert(
            format!("s{s}"),
            Schedule {
                name: format!("Schedule {s}"),
                time_zone: ZONES[s % ZONES.len()].to_owned(),
                layers,
                lifecycle: Lifecycle::default(),
            },
        );
    }
}
