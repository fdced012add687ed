//! The pure half of the Grafana OnCall provider: integration types ↔ channel and template,
//! alertform steps ↔ OnCall escalation steps, and the fewest step calls that turn a live chain
//! into the desired one. No I/O, so every case is a unit test.

use crate::json::Items;
use std::collections::BTreeSet;

use serde_json::{Value, json};

/// alertform (channel, template) ↔ OnCall integration `type`.
pub const TYPES: &[(&str, &str, &str)] = &[
    ("api", "custom", "webhook"),
    ("api", "grafana", "grafana_alerting"),
    ("api", "prometheus_alertmanager", "alertmanager"),
    ("api", "zabbix", "zabbix"),
    ("api", "kapacitor", "kapacitor"),
    ("api", "elastalert", "elastalert"),
    ("api", "formatted_webhook", "formatted_webhook"),
    ("api", "grafana_legacy", "grafana"),
    ("email", "custom", "inbound_email"),
];

/// Integration types that exist in every OnCall org and are not alertform's to manage: the
/// engine makes one `direct_paging` integration per team, `manual` ones back the web UI's
/// escalations, `maintenance` ones are internal.
pub const UNMANAGED_TYPES: &[&str] = &["direct_paging", "manual", "maintenance"];

pub fn oncall_type(channel: &str, template: &str) -> Option<std::borrow::Cow<'static, str>> {
    let known = TYPES
        .iter()
        .find(|(c, t, _)| *c == channel && *t == template)
        .map(|(_, _, ty)| std::borrow::Cow::Borrowed(*ty));
    // `oncall_<type>` is how an OnCall type without an alertform template reads (and exports):
    // it names that type, so an exported config re-plans to no changes.
    known.or_else(|| {
        let ty = template.strip_prefix(ONCALL_TEMPLATE_PREFIX)?;
        (channel == "api" && !ty.is_empty()).then(|| std::borrow::Cow::Owned(ty.to_owned()))
    })
}

/// The template prefix of OnCall types alertform has no template for.
pub const ONCALL_TEMPLATE_PREFIX: &str = "oncall_";

/// The (channel, template) an OnCall type reads as; a type alertform has no template for keeps
/// its own name, so a plan shows it and a change of it is a replace.
pub fn channel_and_template(oncall_type: &str) -> (&'static str, String) {
    match TYPES.iter().find(|(_, _, ty)| *ty == oncall_type) {
        Some((channel, template, _)) => (channel, (*template).to_owned()),
        None => ("api", format!("{ONCALL_TEMPLATE_PREFIX}{oncall_type}")),
    }
}

/// One OnCall escalation step, as far as alertform reads or writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepSpec {
    /// `wait`, in seconds.
    Wait(u64),
    /// `notify_persons`: user ids (a set; OnCall keeps no order that matters).
    NotifyPersons(BTreeSet<String>),
    /// `notify_team_members`: one team id.
    NotifyTeam(String),
    /// `notify_on_call_from_schedule`: whoever is on call in one schedule.
    NotifySchedule(String),
    /// `repeat_escalation`: the chain runs again, five times at most.
    Repeat,
    /// Any other step type (made in the UI): alertform only replaces it.
    Other(String),
}

impl StepSpec {
    /// Reads a live step; `None` for a body without a `type`.
    pub fn from_live(step: &Value) -> Option<StepSpec> {
        let ty = step.get("type")?.as_str()?;
        Some(match ty {
            "wait" => StepSpec::Wait(step.get("duration").and_then(Value::as_u64).unwrap_or(0)),
            "notify_persons" if !is_important(step) => {
                StepSpec::NotifyPersons(step["persons_to_notify"].strings().into_iter().collect())
            }
            "notify_team_members" if !is_important(step) => StepSpec::NotifyTeam(
                step.get("team_to_notify")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            "notify_on_call_from_schedule" if !is_important(step) => StepSpec::NotifySchedule(
                step.get("notify_on_call_from_schedule")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            "repeat_escalation" => StepSpec::Repeat,
            other => StepSpec::Other(if is_important(step) {
                format!("{other} (important)")
            } else {
                other.to_owned()
            }),
        })
    }

    /// The body that makes this step (without its chain id or position).
    pub fn body(&self) -> Value {
        match self {
            StepSpec::Wait(seconds) => json!({"type": "wait", "duration": seconds}),
            StepSpec::NotifyPersons(ids) => {
                json!({"type": "notify_persons", "persons_to_notify": ids, "important": false})
            }
            StepSpec::NotifyTeam(id) => {
                json!({"type": "notify_team_members", "team_to_notify": id, "important": false})
            }
            StepSpec::NotifySchedule(id) => json!({
                "type": "notify_on_call_from_schedule",
                "notify_on_call_from_schedule": id,
                "important": false,
            }),
            StepSpec::Repeat => json!({"type": "repeat_escalation"}),
            StepSpec::Other(ty) => json!({"type": ty}),
        }
    }
}

fn is_important(step: &Value) -> bool {
    step.get("important").and_then(Value::as_bool) == Some(true)
}

/// One alertform step with its references already turned into OnCall ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    pub delay_minutes: u16,
    pub user_ids: BTreeSet<String>,
    pub team_ids: BTreeSet<String>,
    pub schedule_ids: BTreeSet<String>,
}

/// OnCall's `repeat_escalation` repeats a chain exactly this many times.
pub const ONCALL_REPEATS: u8 = 5;

/// The OnCall steps for alertform steps: a `wait` before a delayed step, one `notify_persons`
/// for its users, one `notify_team_members` per group, one `notify_on_call_from_schedule` per
/// schedule, and a trailing `repeat_escalation`.
pub fn to_oncall(steps: &[Step], repeat: u8) -> Vec<StepSpec> {
    let mut out = Vec::new();
    for step in steps {
        if step.delay_minutes > 0 {
            out.push(StepSpec::Wait(u64::from(step.delay_minutes) * 60));
        }
        if !step.user_ids.is_empty() {
            out.push(StepSpec::NotifyPersons(step.user_ids.clone()));
        }
        out.extend(step.team_ids.iter().cloned().map(StepSpec::NotifyTeam));
        out.extend(
            step.schedule_ids
                .iter()
                .cloned()
                .map(StepSpec::NotifySchedule),
        );
    }
    if repeat > 0 {
        out.push(StepSpec::Repeat);
    }
    out
}

/// alertform steps and `repeat` as OnCall's steps read. A step starts at a `wait` (which sets
/// its delay) or at a `notify_persons`; `notify_team_members` and `notify_on_call_from_schedule`
/// join the step before them unless a wait came between. Steps alertform cannot write read as a step that notifies `(oncall step
/// TYPE)`, so the plan shows them and replaces them.
pub fn from_oncall(live: &[StepSpec]) -> (Vec<Step>, u8) {
    let mut steps: Vec<Step> = Vec::new();
    let mut open: Option<Step> = None;
    let mut waited: u64 = 0;
    let mut repeat = 0;
    for spec in live {
        match spec {
            StepSpec::Wait(seconds) => {
                steps.extend(open.take());
                waited += seconds;
            }
            StepSpec::NotifyPersons(ids) => {
                steps.extend(open.take());
                open = Some(Step {
                    delay_minutes: minutes(waited),
                    user_ids: ids.clone(),
                    ..Step::default()
                });
                waited = 0;
            }
            StepSpec::NotifyTeam(id) | StepSpec::NotifySchedule(id) => {
                let step = open.get_or_insert_with(|| Step {
                    delay_minutes: minutes(waited),
                    ..Step::default()
                });
                if matches!(spec, StepSpec::NotifyTeam(_)) {
                    step.team_ids.insert(id.clone());
                } else {
                    step.schedule_ids.insert(id.clone());
                }
                waited = 0;
            }
            StepSpec::Repeat => repeat = ONCALL_REPEATS,
            StepSpec::Other(ty) => {
                steps.extend(open.take());
                steps.push(Step {
                    delay_minutes: minutes(waited),
                    user_ids: BTreeSet::from([format!("(oncall step {ty})")]),
                    ..Step::default()
                });
                waited = 0;
            }
        }
    }
    steps.extend(open);
    if waited > 0 {
        // A trailing wait notifies nobody: it reads as an empty step, which no config declares.
        steps.push(Step {
            delay_minutes: minutes(waited),
            ..Step::default()
        });
    }
    (steps, repeat)
}

fn minutes(seconds: u64) -> u16 {
    u16::try_from(seconds.div_ceil(60)).unwrap_or(u16::MAX)
}

/// The `rotation_start` that makes the engine page every member from the layer's start. The
/// engine reads it as a UTC instant but `start` as wall-clock time, and skips occurrences that
/// begin before it: the earlier of the two readings of the start (the true UTC instant in a zone
/// ahead of UTC, the wall-clock time itself in one behind it) skips none.
pub fn rotation_start(start: &str, time_zone: &str) -> String {
    let Ok(wall) = start.parse::<jiff::civil::DateTime>() else {
        return start.to_owned();
    };
    let utc = jiff::tz::db()
        .get(time_zone)
        .ok()
        .and_then(|zone| zone.to_ambiguous_timestamp(wall).compatible().ok())
        .map(|t| jiff::tz::TimeZone::UTC.to_datetime(t));
    utc.filter(|utc| *utc < wall)
        .unwrap_or(wall)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// The `rolling_users` shift for an alertform layer (unrestricted: restrictions are a plan-time
/// error for OnCall): one user per rotation group, turn 0 to the first, `level` = the layer's place
/// (higher wins where shifts overlap, as later layers do), the whole turn as the shift's duration.
pub fn shift_body(
    name: &str,
    start: &str,
    rotation: crate::model::Rotation,
    user_ids: &[String],
    level: usize,
    time_zone: &str,
) -> Value {
    use crate::model::Rotation;
    let (frequency, interval, seconds) = match rotation {
        Rotation::Days(days) if days % 7 == 0 => ("weekly", days / 7, u64::from(days) * 86_400),
        Rotation::Days(days) => ("daily", days, u64::from(days) * 86_400),
        Rotation::Hours(hours) => ("hourly", hours, u64::from(hours) * 3_600),
    };
    let groups: Vec<Vec<&String>> = user_ids.iter().map(|u| vec![u]).collect();
    json!({
        "name": name, "type": "rolling_users", "team_id": null, "time_zone": time_zone,
        "level": level, "start": start, "rotation_start": rotation_start(start, time_zone),
        "duration": seconds,
        "frequency": frequency, "interval": interval, "week_start": "MO", "by_day": null,
        "rolling_users": groups, "start_rotation_from_user_index": 0,
    })
}

/// An OnCall shift as an alertform layer: (name, start, rotation, members in turn order), or
/// `None` when alertform cannot express it (another shift type, `by_day`, several users per
/// turn, a duration other than the turn, another time zone than the schedule's).
pub fn layer_of(
    shift: &Value,
    time_zone: &str,
) -> Option<(
    String,
    jiff::civil::DateTime,
    crate::model::Rotation,
    Vec<String>,
)> {
    use crate::model::Rotation;
    if shift.get("type")?.as_str()? != "rolling_users"
        || !shift.get("by_day").is_none_or(Value::is_null)
        || shift
            .get("time_zone")
            .and_then(Value::as_str)
            .is_some_and(|tz| tz != time_zone)
    {
        return None;
    }
    let interval = u32::try_from(shift.get("interval")?.as_u64()?).ok()?;
    let (rotation, seconds) = match shift.get("frequency")?.as_str()? {
        "hourly" => (Rotation::Hours(interval), u64::from(interval) * 3_600),
        "daily" => (Rotation::Days(interval), u64::from(interval) * 86_400),
        "weekly" => (
            Rotation::Days(interval.checked_mul(7)?),
            u64::from(interval) * 7 * 86_400,
        ),
        _ => return None,
    };
    if shift.get("duration")?.as_u64()? != seconds {
        return None;
    }
    let mut members = Vec::new();
    for group in shift.get("rolling_users")?.as_array()? {
        match group.as_array()?.as_slice() {
            [user] => members.push(user.as_str()?.to_owned()),
            _ => return None,
        }
    }
    let len = members.len().max(1);
    let first = usize::try_from(shift.get("start_rotation_from_user_index")?.as_u64()?).ok()?;
    members.rotate_left(first % len);
    // `start` is the wall-clock anchor of the occurrences; `rotation_start` an instant the
    // engine skips occurrences before (see `rotation_start`).
    let start: jiff::civil::DateTime = shift.get("start")?.as_str()?.get(..19)?.parse().ok()?;
    Some((
        shift.get("name")?.as_str()?.to_owned(),
        start,
        rotation,
        members,
    ))
}

/// A live step: its id, its raw `position` (gappy), what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveStep {
    pub id: String,
    pub position: i64,
    pub spec: StepSpec,
}

/// One call that edits a chain's steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepCall {
    /// `PUT` the step `id` to do `spec` (a changed type clears the old type's fields).
    Rewrite { id: String, spec: StepSpec },
    /// `POST` a step at the end of the chain.
    Append(StepSpec),
    /// `DELETE` the step.
    Remove { id: String },
    /// `PUT {"position": position}`: OnCall moves the step there and shifts the ones between.
    Move { id: String, position: i64 },
}

/// The fewest calls that turn `live` (sorted by position) into `desired`, in an order that
/// leaves a valid chain after each: a pure reorder moves steps; anything else rewrites steps in
/// place by index, appends the surplus and removes what is left over.
pub fn step_calls(live: &[LiveStep], desired: &[StepSpec]) -> Vec<StepCall> {
    let in_place = rewrite_calls(live, desired);
    match move_calls(live, desired) {
        Some(moves) if moves.len() < in_place.len() => moves,
        _ => in_place,
    }
}

fn rewrite_calls(live: &[LiveStep], desired: &[StepSpec]) -> Vec<StepCall> {
    let mut calls = Vec::new();
    for (have, want) in live.iter().zip(desired) {
        if have.spec != *want {
            calls.push(StepCall::Rewrite {
                id: have.id.clone(),
                spec: want.clone(),
            });
        }
    }
    calls.extend(
        desired
            .iter()
            .skip(live.len())
            .cloned()
            .map(StepCall::Append),
    );
    // From the end, so the steps that stay keep their places while the surplus goes.
    calls.extend(
        live.iter()
            .skip(desired.len())
            .rev()
            .map(|s| StepCall::Remove { id: s.id.clone() }),
    );
    calls
}

/// Moves that reorder `live` into `desired`, when `desired` is a permutation of it: the longest
/// common subsequence stays, every other step moves once.
fn move_calls(live: &[LiveStep], desired: &[StepSpec]) -> Option<Vec<StepCall>> {
    if live.len() != desired.len() {
        return None;
    }
    // Which live step each desired one is (first unused equal step).
    let mut used = vec![false; live.len()];
    let mut target = Vec::with_capacity(desired.len());
    for want in desired {
        let index = (0..live.len()).find(|&i| !used[i] && live[i].spec == *want)?;
        used[index] = true;
        target.push(index);
    }
    // The steps that stay: a longest increasing subsequence of live indices in desired order.
    let stays = longest_increasing(&target);
    let mut current: Vec<(usize, i64)> = live
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.position))
        .collect();
    let mut calls = Vec::new();
    for (slot, &index) in target.iter().enumerate() {
        if stays.contains(&index) {
            continue;
        }
        // Right after its predecessor in the desired order (or first): the steps already
        // placed are in desired order, so this keeps them so.
        let from = current.iter().position(|(i, _)| *i == index)?;
        let to = match slot.checked_sub(1) {
            None => 0,
            Some(before) => {
                let after = current.iter().position(|(i, _)| *i == target[before])?;
                if from > after { after + 1 } else { after }
            }
        };
        if to == from {
            continue;
        }
        let (old, new) = (current[from].1, current[to].1);
        calls.push(StepCall::Move {
            id: live[index].id.clone(),
            position: new,
        });
        move_to(&mut current, from, old, new);
    }
    Some(calls)
}

/// OnCall's `to()`: the step at list index `from` takes raw position `new`, and the steps
/// between shift by one.
fn move_to(steps: &mut [(usize, i64)], from: usize, old: i64, new: i64) {
    for (i, (_, position)) in steps.iter_mut().enumerate() {
        if i == from {
            *position = new;
        } else if new < old && *position >= new && *position < old {
            *position += 1;
        } else if new > old && *position > old && *position <= new {
            *position -= 1;
        }
    }
    steps.sort_by_key(|(_, position)| *position);
}

/// Indices into `values` of a longest strictly increasing subsequence, as the values it keeps.
fn longest_increasing(values: &[usize]) -> BTreeSet<usize> {
    let n = values.len();
    let mut length = vec![1usize; n];
    let mut previous = vec![usize::MAX; n];
    for i in 0..n {
        for j in 0..i {
            if values[j] < values[i] && length[j] + 1 > length[i] {
                length[i] = length[j] + 1;
                previous[i] = j;
            }
        }
    }
    let mut kept = BTreeSet::new();
    let Some(mut at) = (0..n).max_by_key(|&i| length[i]) else {
        return kept;
    };
    loop {
        kept.insert(values[at]);
        if previous[at] == usize::MAX {
            break;
        }
        at = previous[at];
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persons(ids: &[&str]) -> StepSpec {
        StepSpec::NotifyPersons(ids.iter().map(|s| (*s).to_owned()).collect())
    }

    fn live(specs: &[StepSpec]) -> Vec<LiveStep> {
        specs
            .iter()
            .enumerate()
            .map(|(i, spec)| LiveStep {
                id: format!("E{i}"),
                // Gappy, as after deletes.
                position: i64::try_from(i).unwrap() * 3,
                spec: spec.clone(),
            })
            .collect()
    }

    /// Applies calls the way the OnCall engine does, for checking that they reach `desired`.
    fn run(live: &[LiveStep], calls: &[StepCall]) -> Vec<StepSpec> {
        let mut steps: Vec<LiveStep> = live.to_vec();
        for call in calls {
            match call {
                StepCall::Rewrite { id, spec } => {
                    steps.iter_mut().find(|s| &s.id == id).unwrap().spec = spec.clone();
                }
                StepCall::Append(spec) => {
                    let position = steps.iter().map(|s| s.position).max().map_or(0, |p| p + 1);
                    steps.push(LiveStep {
                        id: format!("new{position}"),
                        position,
                        spec: spec.clone(),
                    });
                }
                StepCall::Remove { id } => steps.retain(|s| &s.id != id),
                StepCall::Move { id, position } => {
                    let old = steps.iter().find(|s| &s.id == id).unwrap().position;
                    for s in &mut steps {
                        if old > *position && s.position >= *position && s.position < old {
                            s.position += 1;
                        } else if old < *position && s.position > old && s.position <= *position {
                            s.position -= 1;
                        }
                    }
                    steps.iter_mut().find(|s| &s.id == id).unwrap().position = *position;
                }
            }
            steps.sort_by_key(|s| s.position);
        }
        steps.into_iter().map(|s| s.spec).collect()
    }

    #[test]
    fn steps_round_trip_through_oncall() {
        let steps = vec![
            Step {
                delay_minutes: 0,
                user_ids: ["U1".to_owned()].into(),
                team_ids: ["T1".to_owned(), "T2".to_owned()].into(),
                schedule_ids: ["S1".to_owned()].into(),
            },
            Step {
                delay_minutes: 15,
                team_ids: ["T3".to_owned()].into(),
                ..Step::default()
            },
            Step {
                delay_minutes: 5,
                user_ids: ["U2".to_owned(), "U3".to_owned()].into(),
                ..Step::default()
            },
        ];
        let oncall = to_oncall(&steps, 5);
        assert_eq!(oncall.len(), 9, "{oncall:?}");
        assert_eq!(oncall[3], StepSpec::NotifySchedule("S1".into()));
        assert_eq!(oncall[4], StepSpec::Wait(900));
        assert_eq!(from_oncall(&oncall), (steps, 5));
    }

    #[test]
    fn unknown_step_types_read_as_a_difference() {
        let (steps, _) = from_oncall(&[StepSpec::Other("resolve".into())]);
        assert_eq!(
            steps[0].user_ids,
            BTreeSet::from(["(oncall step resolve)".to_owned()])
        );
    }

    #[test]
    fn a_swap_of_two_steps_is_one_move() {
        let a = persons(&["U1"]);
        let b = persons(&["U2"]);
        let c = StepSpec::Wait(300);
        let have = live(&[a.clone(), c.clone(), b.clone()]);
        let want = vec![b.clone(), a.clone(), c.clone()];
        let calls = step_calls(&have, &want);
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert!(matches!(calls[0], StepCall::Move { .. }));
        assert_eq!(run(&have, &calls), want);
    }

    #[test]
    fn reversing_four_steps_takes_three_moves() {
        let specs: Vec<StepSpec> = (1..=4).map(|i| persons(&[&format!("U{i}")])).collect();
        let have = live(&specs);
        let want: Vec<StepSpec> = specs.iter().rev().cloned().collect();
        let calls = step_calls(&have, &want);
        assert_eq!(calls.len(), 3, "{calls:?}");
        assert_eq!(run(&have, &calls), want);
    }

    #[test]
    fn edits_rewrite_in_place_append_and_remove() {
        let have = live(&[persons(&["U1"]), StepSpec::Wait(60), persons(&["U2"])]);
        let want = vec![persons(&["U1"]), StepSpec::Wait(120)];
        let calls = step_calls(&have, &want);
        assert_eq!(
            calls,
            vec![
                StepCall::Rewrite {
                    id: "E1".into(),
                    spec: StepSpec::Wait(120)
                },
                StepCall::Remove { id: "E2".into() },
            ]
        );
        assert_eq!(run(&have, &calls), want);
        let grow = vec![
            persons(&["U1"]),
            StepSpec::Wait(60),
            persons(&["U2"]),
            StepSpec::Repeat,
        ];
        let calls = step_calls(&have, &grow);
        assert_eq!(calls, vec![StepCall::Append(StepSpec::Repeat)]);
        assert_eq!(run(&have, &calls), grow);
    }

    #[test]
    fn layers_map_to_shifts_and_back() {
        use crate::model::Rotation;
        let users = ["U1".to_owned(), "U2".to_owned(), "U3".to_owned()];
        for rotation in [Rotation::Days(7), Rotation::Days(2), Rotation::Hours(12)] {
            let body = shift_body(
                "L",
                "2026-11-30T09:00:00",
                rotation,
                &users,
                2,
                "Europe/London",
            );
            let (name, start, back, members) = layer_of(&body, "Europe/London").unwrap();
            assert_eq!(
                (name.as_str(), back, members.as_slice()),
                ("L", rotation, &users[..])
            );
            assert_eq!(start.to_string(), "2026-11-30T09:00:00");
        }
        // Turn 0 to the third user is the same rota as the list rotated.
        let mut body = shift_body(
            "L",
            "2026-11-30T09:00:00",
            Rotation::Days(1),
            &users,
            1,
            "UTC",
        );
        body["start_rotation_from_user_index"] = json!(2);
        assert_eq!(layer_of(&body, "UTC").unwrap().3, ["U3", "U1", "U2"]);
        body["by_day"] = json!(["MO"]);
        assert!(
            layer_of(&body, "UTC").is_none(),
            "by_day is not expressible"
        );
    }

    fn arbitrary_spec() -> impl proptest::strategy::Strategy<Value = StepSpec> {
        use proptest::prelude::*;
        prop_oneof![
            (1u64..4).prop_map(|m| StepSpec::Wait(m * 60)),
            (0usize..3).prop_map(|u| persons(&[["U1", "U2", "U3"][u]])),
            (0usize..2).prop_map(|t| StepSpec::NotifyTeam(["T1", "T2"][t].to_owned())),
            Just(StepSpec::Repeat),
        ]
    }

    proptest::proptest! {
        /// Whatever the live chain and the desired one, the calls reach the desired chain (under
        /// the engine's gappy positions), and a pure reorder takes fewer calls than steps.
        #[test]
        fn step_calls_always_reach_the_desired_chain(
            have in proptest::collection::vec(arbitrary_spec(), 0..7),
            want in proptest::collection::vec(arbitrary_spec(), 0..7),
            shuffle in proptest::collection::vec(0usize..100, 0..7),
        ) {
            let live = live(&have);
            let calls = step_calls(&live, &want);
            proptest::prop_assert_eq!(run(&live, &calls), want.clone());
            proptest::prop_assert!(calls.len() <= have.len().max(want.len()));
            // A permutation of the live steps.
            let mut permuted = have.clone();
            for (i, j) in shuffle.iter().enumerate() {
                if !permuted.is_empty() {
                    let (a, b) = (i % permuted.len(), j % permuted.len());
                    permuted.swap(a, b);
                }
            }
            let calls = step_calls(&live, &permuted);
            proptest::prop_assert_eq!(run(&live, &calls), permuted.clone());
            proptest::prop_assert!(calls.len() < have.len().max(1));
        }
    }

    #[test]
    fn types_map_both_ways() {
        for (channel, template, ty) in TYPES {
            assert_eq!(oncall_type(channel, template).as_deref(), Some(*ty));
            assert_eq!(channel_and_template(ty), (*channel, (*template).to_owned()));
        }
        assert_eq!(channel_and_template("kapacitor").1, "kapacitor");
        assert_eq!(channel_and_template("amazon_sns").1, "oncall_amazon_sns");
        assert_eq!(
            oncall_type("api", "oncall_amazon_sns").as_deref(),
            Some("amazon_sns")
        );
        assert_eq!(oncall_type("email", "oncall_amazon_sns"), None);
    }
}
