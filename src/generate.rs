//! Synthetic but realistic orgs of any size, for benchmarks and scale tests: about 20 % users,
//! 5 % groups (some nested), 15 % escalation policies of 1–4 steps and 60 % integrations over all
//! four channels, every reference valid. Deterministic for a given size.

use std::fmt::Write as _;

use crate::config::source::Format;

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

/// The org's files: `(file name, text)`.
pub fn org(objects: usize, format: Format) -> Vec<(String, String)> {
    let users = (objects / 5).max(1);
    let groups = (objects / 20).max(1);
    let policies = (objects * 15 / 100).max(1);
    let integrations = objects.saturating_sub(users + groups + policies).max(1);
    let mut rng = Rng(0x5EED ^ objects as u64);
    let reference = |kind: &str, key: String| match format {
        Format::Toml => format!("\"{kind}.{key}\""),
        Format::Hcl => format!("{kind}.{key}"),
    };
    let mut out = Vec::new();

    let mut text = String::new();
    for i in 0..users {
        let fields = [
            ("name", format!("\"User {i}\"")),
            ("email", format!("\"user{i}@example.com\"")),
            (
                "time_zone",
                format!(
                    "\"{}\"",
                    ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"][i % 4]
                ),
            ),
        ];
        block(&mut text, format, "user", &format!("u{i}"), &fields);
    }
    out.push(("users", text));

    let mut text = String::new();
    for g in 0..groups {
        let mut members: Vec<String> = (0..5)
            .map(|_| reference("user", format!("u{}", rng.below(users))))
            .collect();
        // Every fourth group nests an earlier one.
        if g % 4 == 3 {
            members.push(reference("group", format!("g{}", rng.below(g))));
        }
        members.sort();
        members.dedup();
        let fields = [
            ("name", format!("\"Group {g}\"")),
            ("members", format!("[{}]", members.join(", "))),
        ];
        block(&mut text, format, "group", &format!("g{g}"), &fields);
    }
    out.push(("groups", text));

    let mut text = String::new();
    for p in 0..policies {
        let steps: Vec<String> = (0..=rng.below(4))
            .map(|s| {
                let target = if s % 2 == 0 {
                    reference("group", format!("g{}", rng.below(groups)))
                } else {
                    reference("user", format!("u{}", rng.below(users)))
                };
                match format {
                    Format::Toml => {
                        format!("{{ delay_minutes = {}, notify = [{target}] }}", s * 10)
                    }
                    Format::Hcl => format!("{{ delay_minutes = {}, notify = [{target}] }}", s * 10),
                }
            })
            .collect();
        let fields = [
            ("name", format!("\"Policy {p}\"")),
            ("repeat", (p % 3).to_string()),
            ("steps", format!("[{}]", steps.join(", "))),
        ];
        block(
            &mut text,
            format,
            "escalation_policy",
            &format!("p{p}"),
            &fields,
        );
    }
    out.push(("policies", text));

    let mut text = String::new();
    for i in 0..integrations {
        let policy = match format {
            Format::Toml => format!("\"p{}\"", rng.below(policies)),
            Format::Hcl => format!("escalation_policy.p{}", rng.below(policies)),
        };
        let mut fields = vec![("name", format!("\"Integration {i}\""))];
        match i % 10 {
            0..=5 => {
                fields.push(("channel", "\"api\"".to_owned()));
                fields.push((
                    "template",
                    format!("\"{}\"", TEMPLATES[i % TEMPLATES.len()]),
                ));
            }
            6 | 7 => {
                fields.push(("channel", "\"email\"".to_owned()));
                fields.push(("template", "\"custom\"".to_owned()));
            }
            8 => {
                fields.push(("channel", "\"chat\"".to_owned()));
                fields.push(("template", "\"slack\"".to_owned()));
                fields.push(("chat_platform", "\"slack\"".to_owned()));
                fields.push(("chat_channel", format!("\"#alerts-{i}\"")));
            }
            _ => {
                fields.push(("channel", "\"heartbeat\"".to_owned()));
                fields.push(("template", "\"cron_heartbeat\"".to_owned()));
                fields.push(("interval_minutes", (5 + i % 60).to_string()));
            }
        }
        fields.push(("escalation_policy", policy));
        if i % 3 == 0 {
            fields.push((
                "recipients",
                format!(
                    "[{}]",
                    reference("group", format!("g{}", rng.below(groups)))
                ),
            ));
        }
        block(&mut text, format, "integration", &format!("i{i}"), &fields);
    }
    out.push(("integrations", text));

    let extension = match format {
        Format::Toml => "toml",
        Format::Hcl => "hcl",
    };
    out.into_iter()
        .map(|(name, text)| (format!("{name}.{extension}"), text))
        .collect()
}

fn block(out: &mut String, format: Format, kind: &str, key: &str, fields: &[(&str, String)]) {
    match format {
        Format::Toml => {
            let _ = writeln!(out, "[{kind}.{key}]");
            for (field, value) in fields {
                let _ = writeln!(out, "{field} = {value}");
            }
            out.push('\n');
        }
        Format::Hcl => {
            let _ = writeln!(out, "{kind} \"{key}\" {{");
            for (field, value) in fields {
                let _ = writeln!(out, "  {field} = {value}");
            }
            out.push_str("}\n\n");
        }
    }
}

/// An org Grafana OnCall can hold, and the Grafana side it needs: about 20 % users, 5 % teams
/// (flat), 15 % escalation policies of 1–3 steps (later steps delayed, `repeat` 0 or 5) and 60 %
/// integrations of the types OnCall has. Besides the config files, `grafana-oncall-seed.json`
/// holds the users and teams for `serve --api grafana_oncall --seed`.
pub fn oncall_org(objects: usize, format: Format) -> Vec<(String, String)> {
    vendor_org(objects, format, &ONCALL)
}

/// A PagerDuty org in the same proportions: users with roles PagerDuty has and a phone each,
/// teams of users, policies of 1–3 rules paging users (the first at once, the next after 10 or
/// 20 minutes), and integrations (one service each: Events API v2, vendors, email). Besides the
/// config files, `pagerduty-seed.json` names the account's owner, whom the config declares.
pub fn pagerduty_org(objects: usize, format: Format) -> Vec<(String, String)> {
    vendor_org(objects, format, &PAGERDUTY)
}

/// An AlertOps org in the same proportions: users with first and last names, roles, a phone and
/// a Windows-mappable zone, groups of users, policies of 1–3 tiers paging a user and a group,
/// and API and email integrations. No seed is needed (AlertOps makes users through its API).
pub fn alertops_org(objects: usize, format: Format) -> Vec<(String, String)> {
    vendor_org(objects, format, &ALERTOPS)
}

/// An Opsgenie org in the same proportions: users with the roles Opsgenie has (user 0 the owner,
/// from the seed) and zones, teams of users, escalations of 1–3 steps paging a user and a team
/// (each later step 10 minutes after the one before, since Opsgenie times rules from the alert),
/// and API integrations of the types alertform maps. `opsgenie-seed.json` holds the owner.
pub fn opsgenie_org(objects: usize, format: Format) -> Vec<(String, String)> {
    vendor_org(objects, format, &OPSGENIE)
}

/// An Uptinio project's outbound targets: `objects` of them, half email mailboxes and half SSH
/// restarts of distinct hosts. Their password comes from the environment, as a config's
/// secrets should: [`GENERATED_SECRET`].
pub fn uptinio_org(objects: usize, format: Format) -> Vec<(String, String)> {
    let mut text = format!(
        "{} Synthetic (alertform dev generate). The SSH password is read from ${GENERATED_SECRET}.\n\n",
        match format {
            Format::Toml => "#",
            Format::Hcl => "//",
        }
    );
    let password = match format {
        Format::Toml => format!("{{ env = \"{GENERATED_SECRET}\" }}"),
        Format::Hcl => format!("env(\"{GENERATED_SECRET}\")"),
    };
    for i in 0..objects.max(1) {
        let fields = if i % 2 == 0 {
            vec![
                ("type", "\"email\"".to_owned()),
                ("address", format!("\"alerts{i}@example.com\"")),
            ]
        } else {
            vec![
                ("type", "\"ssh_restart\"".to_owned()),
                (
                    "host",
                    format!("\"10.{}.{}.{}\"", i >> 16 & 255, i >> 8 & 255, i & 255),
                ),
                ("port", "22".to_owned()),
                ("username", "\"ops\"".to_owned()),
                ("password", password.clone()),
            ]
        };
        block(&mut text, format, "outbound", &format!("t{i}"), &fields);
    }
    let (extension, settings) = match format {
        Format::Toml => ("toml", "[settings]\nprovider = \"uptinio\"\n"),
        Format::Hcl => ("hcl", "settings {\n  provider = \"uptinio\"\n}\n"),
    };
    vec![
        (format!("outbound.{extension}"), text),
        (format!("settings.{extension}"), settings.to_owned()),
    ]
}

/// The environment variable a generated org's secrets are read from.
pub const GENERATED_SECRET: &str = "ALERTFORM_GENERATED_SECRET";

/// What differs between the vendors' generated orgs.
struct Vendor {
    provider: &'static str,
    seed: u64,
    user: fn(usize) -> Vec<(&'static str, String)>,
    /// The kind of a step's second target (OnCall pages teams; PagerDuty rules cannot).
    second_target: &'static str,
    repeat: fn(usize) -> &'static str,
    integration_name: &'static str,
    /// (channel, template), taken in turn.
    integrations: &'static [(&'static str, &'static str)],
    /// The seed file for `serve --api`: (name, JSON), given the users' teams.
    seed_file: fn(usize, &[Vec<usize>]) -> (&'static str, serde_json::Value),
}

const ONCALL: Vendor = Vendor {
    provider: "grafana_oncall",
    seed: 0x0CA1,
    user: |i| {
        vec![
            ("name", format!("\"user{i}\"")),
            ("email", format!("\"user{i}@example.com\"")),
        ]
    },
    second_target: "group",
    repeat: |p| if p % 2 == 0 { "5" } else { "0" },
    integration_name: "Integration",
    integrations: &[
        ("api", "grafana"),
        ("api", "prometheus_alertmanager"),
        ("api", "custom"),
        ("api", "zabbix"),
        ("email", "custom"),
    ],
    seed_file: |groups, teams_of| {
        let seed = serde_json::json!({
            "teams": (0..groups).map(|g| serde_json::json!({"name": format!("Team {g}")})).collect::<Vec<_>>(),
            "users": teams_of.iter().enumerate().map(|(i, teams)| serde_json::json!({
                "email": format!("user{i}@example.com"),
                "username": format!("user{i}"),
                "teams": teams.iter().map(|g| format!("Team {g}")).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        ("grafana-oncall-seed.json", seed)
    },
};

const PAGERDUTY: Vendor = Vendor {
    provider: "pagerduty",
    seed: 0x0BAD,
    user: |i| {
        let role = if i == 0 {
            "owner"
        } else {
            [
                "responder",
                "responder",
                "admin",
                "observer",
                "integrations_admin",
            ][i % 5]
        };
        vec![
            ("name", format!("\"User {i}\"")),
            ("email", format!("\"user{i}@example.com\"")),
            ("role", format!("\"{role}\"")),
            ("phone", format!("\"+1415555{:04}\"", i % 10_000)),
            ("time_zone", "\"America/New_York\"".to_owned()),
        ]
    },
    second_target: "user",
    repeat: |p| if p % 2 == 0 { "3" } else { "0" },
    integration_name: "Service",
    integrations: &[
        ("api", "custom"),
        ("api", "datadog"),
        ("api", "custom"),
        ("api", "prometheus_alertmanager"),
        ("email", "custom"),
    ],
    seed_file: |_, _| {
        let seed = serde_json::json!({
            "subdomain": "generated",
            "users": [{"name": "User 0", "email": "user0@example.com", "role": "owner", "time_zone": "America/New_York"}],
        });
        ("pagerduty-seed.json", seed)
    },
};

const ALERTOPS: Vendor = Vendor {
    provider: "alertops",
    seed: 0xA1E7,
    user: |i| {
        let role = [
            "responder",
            "responder",
            "admin",
            "observer",
            "integrations_admin",
        ][i % 5];
        vec![
            ("name", format!("\"User {i}\"")),
            ("email", format!("\"user{i}@example.com\"")),
            ("role", format!("\"{role}\"")),
            ("phone", format!("\"+1415555{:04}\"", i % 10_000)),
            ("time_zone", "\"America/New_York\"".to_owned()),
        ]
    },
    second_target: "group",
    repeat: |_| "0",
    integration_name: "Integration",
    integrations: &[
        ("api", "custom"),
        ("api", "datadog"),
        ("api", "grafana"),
        ("api", "prometheus_alertmanager"),
        ("email", "custom"),
    ],
    seed_file: |_, _| ("alertops-seed.json", serde_json::json!({})),
};

const OPSGENIE: Vendor = Vendor {
    provider: "opsgenie",
    seed: 0x0965,
    user: |i| {
        let role = if i == 0 {
            "owner"
        } else {
            ["responder", "responder", "admin", "observer"][i % 4]
        };
        vec![
            ("name", format!("\"User {i}\"")),
            ("email", format!("\"user{i}@example.com\"")),
            ("role", format!("\"{role}\"")),
            (
                "time_zone",
                format!(
                    "\"{}\"",
                    [
                        "Europe/London",
                        "America/New_York",
                        "Asia/Tokyo",
                        "Australia/Sydney"
                    ][i % 4]
                ),
            ),
        ]
    },
    second_target: "group",
    repeat: |p| if p % 2 == 0 { "2" } else { "0" },
    integration_name: "Integration",
    integrations: &[
        ("api", "custom"),
        ("api", "grafana"),
        ("api", "prometheus_alertmanager"),
    ],
    seed_file: |_, _| {
        let seed = serde_json::json!({
            "users": [{"username": "user0@example.com", "fullName": "User 0", "role": "Owner", "timeZone": "Europe/London"}],
        });
        ("opsgenie-seed.json", seed)
    },
};

/// An org of about `objects` objects that `vendor` can hold, and its seed file.
fn vendor_org(objects: usize, format: Format, vendor: &Vendor) -> Vec<(String, String)> {
    let users = (objects / 5).max(1);
    let groups = (objects / 20).max(1);
    let policies = (objects * 15 / 100).max(1);
    let integrations = objects.saturating_sub(users + groups + policies).max(1);
    let mut rng = Rng(vendor.seed ^ objects as u64);
    let reference = |kind: &str, key: String| match format {
        Format::Toml => format!("\"{kind}.{key}\""),
        Format::Hcl => format!("{kind}.{key}"),
    };
    let mut out = Vec::new();
    let mut teams_of: Vec<Vec<usize>> = vec![Vec::new(); users];

    let mut text = String::new();
    for i in 0..users {
        block(
            &mut text,
            format,
            "user",
            &format!("u{i}"),
            &(vendor.user)(i),
        );
    }
    out.push(("users".to_owned(), text));

    let mut text = String::new();
    for g in 0..groups {
        let mut members: Vec<usize> = (0..5).map(|_| rng.below(users)).collect();
        members.sort_unstable();
        members.dedup();
        for &m in &members {
            teams_of[m].push(g);
        }
        let list: Vec<String> = members
            .iter()
            .map(|m| reference("user", format!("u{m}")))
            .collect();
        let fields = [
            ("name", format!("\"Team {g}\"")),
            ("members", format!("[{}]", list.join(", "))),
        ];
        block(&mut text, format, "group", &format!("g{g}"), &fields);
    }
    out.push(("groups".to_owned(), text));

    let mut text = String::new();
    for p in 0..policies {
        let steps: Vec<String> = (0..=rng.below(3))
            .map(|s| {
                let mut targets = vec![reference("user", format!("u{}", rng.below(users)))];
                if s % 2 == 0 {
                    let count = if vendor.second_target == "group" {
                        groups
                    } else {
                        users
                    };
                    targets.push(reference(
                        vendor.second_target,
                        format!("{}{}", &vendor.second_target[..1], rng.below(count)),
                    ));
                }
                targets.sort();
                targets.dedup();
                format!(
                    "{{ delay_minutes = {}, notify = [{}] }}",
                    s * 10,
                    targets.join(", ")
                )
            })
            .collect();
        let fields = [
            ("name", format!("\"Policy {p}\"")),
            ("repeat", (vendor.repeat)(p).to_owned()),
            ("steps", format!("[{}]", steps.join(", "))),
        ];
        block(
            &mut text,
            format,
            "escalation_policy",
            &format!("p{p}"),
            &fields,
        );
    }
    out.push(("policies".to_owned(), text));

    let mut text = String::new();
    for i in 0..integrations {
        let policy = match format {
            Format::Toml => format!("\"p{}\"", rng.below(policies)),
            Format::Hcl => format!("escalation_policy.p{}", rng.below(policies)),
        };
        let (channel, template) = vendor.integrations[i % vendor.integrations.len()];
        let fields = [
            ("name", format!("\"{} {i}\"", vendor.integration_name)),
            ("channel", format!("\"{channel}\"")),
            ("template", format!("\"{template}\"")),
            ("escalation_policy", policy),
        ];
        block(&mut text, format, "integration", &format!("i{i}"), &fields);
    }
    out.push(("integrations".to_owned(), text));
    let provider = vendor.provider;
    out.push((
        "settings".to_owned(),
        match format {
            Format::Toml => format!("[settings]\nprovider = \"{provider}\"\n"),
            Format::Hcl => format!("settings {{\n  provider = \"{provider}\"\n}}\n"),
        },
    ));

    let extension = match format {
        Format::Toml => "toml",
        Format::Hcl => "hcl",
    };
    let mut files: Vec<(String, String)> = out
        .into_iter()
        .map(|(name, text)| (format!("{name}.{extension}"), text))
        .collect();
    let (name, seed) = (vendor.seed_file)(groups, &teams_of);
    files.push((
        name.to_owned(),
        serde_json::to_string(&seed).expect("a seed serialises") + "\n",
    ));
    files
}

/// Makes the first step of every generated escalation policy page a schedule too (policy `i`
/// the schedule `i mod count`), so that generated orgs with schedules use them as people do:
/// `verify`, `oncall` and the crash trials then see escalations that depend on who is on call.
pub fn page_schedules(files: &mut [(String, String)], count: usize, format: Format) {
    if count == 0 {
        return;
    }
    for (name, text) in files.iter_mut() {
        if !name.starts_with("policies.") {
            continue;
        }
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        let mut policy = 0;
        for line in text.split_inclusive('\n') {
            // The first step of each policy is the first `notify = [` on its `steps` line.
            match line.find("steps = [{ delay_minutes = 0, notify = [") {
                Some(at) => {
                    let cut = at + "steps = [{ delay_minutes = 0, notify = [".len();
                    let target = match format {
                        Format::Toml => format!("\"schedule.s{}\", ", policy % count),
                        Format::Hcl => format!("schedule.s{}, ", policy % count),
                    };
                    out.push_str(&line[..cut]);
                    out.push_str(&target);
                    out.push_str(&line[cut..]);
                    policy += 1;
                }
                None => out.push_str(line),
            }
        }
        *text = out;
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

/// `count` schedules over the first users of an org of `objects` objects, with `layers`, in
/// rotating zones: the file `schedules.*` to add to [`org`]'s. Deterministic.
pub fn schedules(objects: usize, count: usize, format: Format, layers: Layers) -> (String, String) {
    const ZONES: [&str; 4] = [
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
    ];
    let users = (objects / 5).max(1);
    let member = |i: usize| match format {
        Format::Toml => format!("\"user.u{}\"", i % users),
        Format::Hcl => format!("user.u{}", i % users),
    };
    let mut text = String::new();
    for s in 0..count {
        let weekly = (
            "Weekly",
            "1w",
            vec![member(s), member(s + 1), member(s + 2)],
            None,
        );
        let daily = ("Daily", "1d", vec![member(s + 3), member(s + 4)], None);
        let layers = match layers {
            Layers::DayAndNight => vec![
                (
                    "Days",
                    "1d",
                    vec![member(s), member(s + 1)],
                    Some(("08:00", "20:00", false)),
                ),
                (
                    "Nights",
                    "1w",
                    vec![member(s + 2), member(s + 3)],
                    Some(("20:00", "08:00", false)),
                ),
            ],
            Layers::OverlappingRestricted => vec![
                weekly,
                daily,
                (
                    "Business hours",
                    "1d",
                    vec![member(s + 5)],
                    Some(("09:00", "17:00", true)),
                ),
            ],
            Layers::Overlapping | Layers::None(_) => vec![
                weekly,
                daily,
                ("Shifts", "8h", vec![member(s + 5), member(s + 6)], None),
            ],
        };
        match format {
            Format::Toml => {
                let _ = writeln!(
                    text,
                    "[schedule.s{s}]\nname = \"Schedule {s}\"\ntime_zone = \"{}\"",
                    ZONES[s % ZONES.len()]
                );
                for (name, rotation, members, window) in &layers {
                    let _ = writeln!(
                        text,
                        "\n[[schedule.s{s}.layer]]\nname = \"{name}\"\nstart = \"2026-11-30T09:00:00\"\nrotation = \"{rotation}\"\nmembers = [{}]",
                        members.join(", ")
                    );
                    if let Some((from, to, weekdays)) = window {
                        let days = if *weekdays {
                            "days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], "
                        } else {
                            ""
                        };
                        let _ = writeln!(
                            text,
                            "restrict = [{{ {days}from = \"{from}\", to = \"{to}\" }}]"
                        );
                    }
                }
                text.push('\n');
            }
            Format::Hcl => {
                let _ = writeln!(
                    text,
                    "schedule \"s{s}\" {{\n  name = \"Schedule {s}\"\n  time_zone = \"{}\"",
                    ZONES[s % ZONES.len()]
                );
                for (name, rotation, members, window) in &layers {
                    let _ = writeln!(
                        text,
                        "  layer {{\n    name = \"{name}\"\n    start = \"2026-11-30T09:00:00\"\n    rotation = \"{rotation}\"\n    members = [{}]",
                        members.join(", ")
                    );
                    if let Some((from, to, weekdays)) = window {
                        let days = if *weekdays {
                            "\n      days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]"
                        } else {
                            ""
                        };
                        let _ = writeln!(
                            text,
                            "    restrict {{{days}\n      from = \"{from}\"\n      to = \"{to}\"\n    }}"
                        );
                    }
                    text.push_str("  }\n");
                }
                text.push_str("}\n\n");
            }
        }
    }
    let extension = match format {
        Format::Toml => "toml",
        Format::Hcl => "hcl",
    };
    (format!("schedules.{extension}"), text)
}
