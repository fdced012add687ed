//! The rewrite's rules, on models built in memory: each keeps who is paged where it says so,
//! and says what it changes where it cannot.

use std::fmt::Write as _;

use super::*;
use crate::model::ProviderName;

use crate::config::from_toml as model;

const PEOPLE: &str = r#"
[user.a]
name = "Ann Lee"
email = "a@example.com"
[user.b]
name = "Ben Ode"
email = "b@example.com"
[user.c]
name = "Cy Park"
email = "c@example.com"
[group.ops]
name = "Ops"
members = ["user.a", "user.b"]
"#;

/// `PEOPLE` and a schedule `s` in `zone` of `layers`: (name, rotation, members, whether it is
/// limited to weekdays 09:00–17:00), each starting on Monday 2027-01-04 at `start`.
fn with_schedule(zone: &str, start: &str, layers: &[(&str, &str, &str, bool)]) -> Model {
    let mut text = format!("{PEOPLE}\n[schedule.s]\nname = \"S\"\ntime_zone = \"{zone}\"\n");
    for (name, rotation, members, weekdays) in layers {
        let members: Vec<String> = members
            .split(' ')
            .map(|m| format!("\"user.{m}\""))
            .collect();
        let _ = writeln!(
            text,
            "[[schedule.s.layer]]\nname = \"{name}\"\nstart = \"2027-01-04T{start}\"\nrotation = \"{rotation}\"\nmembers = [{}]",
            members.join(", ")
        );
        if *weekdays {
            text.push_str("restrict = [{ days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], from = \"09:00\", to = \"17:00\" }]\n");
        }
    }
    model(&text)
}

fn run(source: &Model, from: &str, to: &str) -> Migration {
    migrate(&Input {
        source,
        from: crate::registry::vendor(ProviderName::parse(from).expect("a vendor")),
        to: crate::registry::vendor(ProviderName::parse(to).expect("a vendor")),
        locate: &|_| None,
        now: "2027-01-04T00:00:00Z".parse().unwrap(),
    })
}

fn entry<'m>(migration: &'m Migration, address: &str) -> &'m Entry {
    migration
        .objects
        .iter()
        .find(|e| e.address == address)
        .unwrap_or_else(|| panic!("no {address}"))
}

#[test]
fn overlapping_layers_into_a_vendor_that_pages_every_layer_keep_who_is_paged() {
    let source = with_schedule(
        "Europe/Berlin",
        "09:00:00",
        &[("Week", "1w", "a b", false), ("Days", "1d", "c", true)],
    );
    let migration = run(&source, "pagerduty", "opsgenie");
    let s = entry(&migration, "schedule.s");
    assert_eq!(s.outcome, Outcome::Rewritten, "{:?}", s.findings);
    assert!(s.findings[0].text.contains("limited to the hours layer 2"));
    // The earlier layer now holds exactly the rest of the week: the two covers do not meet
    // and together are every minute of it.
    let layers = &migration.model.schedules["s"].layers;
    let (week, days) = (
        crate::schedule::week_cover(&layers[0].restrict),
        crate::schedule::week_cover(&layers[1].restrict),
    );
    assert!(!crate::schedule::overlap(&week, &days));
    let minutes: u32 = week.iter().chain(&days).map(|(a, b)| b - a).sum();
    assert_eq!(minutes, 7 * 1440);
    assert!(migration.compared.schedule_hours_different.abs() < f64::EPSILON);
    assert!(!migration.attention() || !migration.reconnect.is_empty());
}

#[test]
fn a_full_time_later_layer_leaves_the_earlier_one_out_as_it_never_paged() {
    let source = with_schedule(
        "UTC",
        "00:00:00",
        &[("Hidden", "1w", "a", false), ("Top", "1w", "b c", false)],
    );
    let migration = run(&source, "alertform", "opsgenie");
    assert_eq!(migration.model.schedules["s"].layers.len(), 1);
    assert_eq!(migration.model.schedules["s"].layers[0].name, "Top");
    assert_eq!(entry(&migration, "schedule.s").outcome, Outcome::Rewritten);
    assert!(migration.compared.schedule_hours_different.abs() < f64::EPSILON);
}

#[test]
fn a_restriction_the_target_cannot_hold_is_changed_with_its_effect_in_hours() {
    let source = with_schedule(
        "UTC",
        "00:00:00",
        &[("Week", "1w", "a", false), ("Days", "1d", "b", true)],
    );
    let migration = run(&source, "alertform", "grafana_oncall");
    let s = entry(&migration, "schedule.s");
    assert_eq!(s.outcome, Outcome::Changed);
    let texts: Vec<&str> = s.findings.iter().map(|f| f.text.as_str()).collect();
    assert!(
        texts[0].contains("layer 2 (`Days`) is left out"),
        "{texts:?}"
    );
    // 40 hours a week where Ben was on call, over the 90 days compared (and the clock-change
    // windows, where UTC has none).
    assert!(
        texts[1].contains("b@example.com") && texts[1].contains("→ 0 h"),
        "{texts:?}"
    );
    assert!(migration.compared.schedule_hours_different > 400.0);
    assert!(migration.attention());
}

#[test]
fn group_steps_become_their_users_and_a_repeat_rounds_up_to_what_the_target_holds() {
    let source = model(&format!(
        r#"{PEOPLE}
[escalation_policy.p]
name = "P"
repeat = 1
steps = [{{ notify = ["group.ops"] }}, {{ delay_minutes = 0, notify = ["user.c"] }}]
"#
    ));
    let migration = run(&source, "alertform", "grafana_oncall");
    let p = &migration.model.escalation_policies["p"];
    // OnCall repeats 5 times or not at all: more pages rather than fewer.
    assert_eq!(p.repeat, 5);
    let e = entry(&migration, "escalation_policy.p");
    assert_eq!(e.outcome, Outcome::Changed);
    assert!(
        e.findings
            .iter()
            .any(|f| f.text.starts_with("repeats 5 times instead of 1"))
    );

    let to_pd = run(&source, "alertform", "pagerduty");
    let p = &to_pd.model.escalation_policies["p"];
    // The group's users by name, and the zero-wait step merged into the first: who is
    // notified when is the same.
    assert_eq!(p.steps.len(), 1);
    let notify: Vec<String> = p.steps[0].notify.iter().map(ToString::to_string).collect();
    assert_eq!(notify, ["user.a", "user.b", "user.c"]);
    assert_eq!(
        entry(&to_pd, "escalation_policy.p").outcome,
        Outcome::Rewritten
    );
    assert_eq!(to_pd.compared.arrivals_different, 0);
}

#[test]
fn what_the_target_lacks_is_not_carried_and_what_referred_to_it_is_changed() {
    let source = model(&format!(
        r#"{PEOPLE}
[schedule.s]
name = "S"
time_zone = "UTC"
[[schedule.s.layer]]
name = "Week"
start = "2027-01-04T00:00:00"
rotation = "1w"
members = ["user.a", "user.b"]
[escalation_policy.p]
name = "P"
steps = [{{ notify = ["schedule.s"] }}, {{ delay_minutes = 5, notify = ["user.c"] }}]
[integration.i]
name = "I"
channel = "api"
template = "custom"
escalation_policy = "p"
"#
    ));
    let migration = run(&source, "alertform", "alertops");
    let s = entry(&migration, "schedule.s");
    assert_eq!(s.outcome, Outcome::NotCarried);
    assert!(s.target.is_none());
    let p = &migration.model.escalation_policies["p"];
    // The step that paged the schedule notifies no one and goes; its wait moves to the next.
    assert_eq!(p.steps.len(), 1);
    assert_eq!(p.steps[0].delay_minutes, 5);
    let e = entry(&migration, "escalation_policy.p");
    assert_eq!(e.outcome, Outcome::Changed);
    assert!(e.findings.iter().any(|f| {
        f.text
            .contains("alert arrivals compared are notified differently")
    }));
    assert_eq!(migration.reconnect.len(), 1);
    assert_eq!(migration.reconnect[0].address, "integration.i");
}

#[test]
fn the_same_source_migrates_to_the_same_report() {
    let source = model(PEOPLE);
    let a = serde_json::to_string(&run(&source, "alertform", "grafana_oncall")).unwrap();
    let b = serde_json::to_string(&run(&source, "alertform", "grafana_oncall")).unwrap();
    assert_eq!(a, b);
    // OnCall's users come from Grafana: listed, with names written as logins.
    let m = run(&source, "alertform", "grafana_oncall");
    assert_eq!(m.must_exist.len(), 4);
    assert_eq!(m.model.users["a"].name, "a");
}

#[test]
fn a_week_cover_turns_back_into_the_same_windows() {
    use crate::schedule::{cover_windows, week_cover};
    let windows = vec![crate::model::Window {
        days: [crate::model::Day::Mon, crate::model::Day::Fri]
            .into_iter()
            .collect(),
        from: "22:00".parse().unwrap(),
        to: "06:00".parse().unwrap(),
    }];
    let cover = week_cover(&windows);
    let back = cover_windows(&cover);
    let mut again = week_cover(&back);
    let mut first = cover.clone();
    again.sort_unstable();
    first.sort_unstable();
    // The same minutes, cut at midnight.
    let minutes = |c: &[(u32, u32)]| c.iter().map(|(a, b)| b - a).sum::<u32>();
    assert_eq!(minutes(&again), minutes(&first));
    assert!(back.iter().all(|w| w.days.len() <= 2));
    assert!(cover_windows(&week_cover(&[])).is_empty());
}
