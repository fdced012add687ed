//! Opsgenie's account rules over the store, apart from the wire (moto's `models.py`): what a
//! valid user, team, schedule, rotation, escalation and integration is, what references must
//! name, what a new team brings with it, and what may not be deleted while something holds it.
//! Every function takes a transaction and plain JSON and answers an [`OgError`]; none knows HTTP
//! paths or envelopes. Choices where the public sources are silent are listed in
//! `docs/providers/opsgenie.md`.

use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use super::super::error::ApiError;
use super::super::vendor::Collection;

const fn collection(name: &'static str) -> Collection {
    Collection {
        api: "opsgenie",
        name,
        ranked: false,
    }
}
pub const USERS: Collection = collection("users");
pub const TEAMS: Collection = collection("teams");
pub const SCHEDULES: Collection = collection("schedules");
pub const ESCALATIONS: Collection = collection("escalations");
pub const INTEGRATIONS: Collection = collection("integrations");
pub const HEARTBEATS: Collection = collection("heartbeats");
pub const POLICIES: Collection = collection("policies");

/// Roles a user may have (custom roles are not emulated).
pub const ROLES: [&str; 4] = ["Owner", "Admin", "User", "Stakeholder"];
pub const ROTATION_TYPES: [&str; 3] = ["daily", "weekly", "hourly"];
pub const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
/// Integration types the emulation creates: the API family alertform maps (Opsgenie has 200+).
pub const INTEGRATION_TYPES: [&str; 4] = ["API", "Prometheus", "Grafana", "Email"];
/// What a schedule's zone is when a create names none (Terraform's default, an assumption).
pub const DEFAULT_ZONE: &str = "America/New_York";

/// An Opsgenie refusal: the status, the message, and per-field messages (`errors`, as the SDK
/// reads them on 422).
#[derive(Debug)]
pub struct OgError {
    pub status: u16,
    pub message: String,
    pub errors: Map<String, Value>,
}

impl OgError {
    pub fn new(status: u16, message: impl Into<String>) -> OgError {
        OgError {
            status,
            message: message.into(),
            errors: Map::new(),
        }
    }

    /// 422 with the field that is wrong.
    pub fn field(field: &str, message: impl Into<String>) -> OgError {
        let message = message.into();
        let mut errors = Map::new();
        errors.insert(field.to_owned(), Value::from(message.clone()));
        OgError {
            status: 422,
            message,
            errors,
        }
    }

    pub fn not_found(what: &str) -> OgError {
        OgError::new(404, format!("{what} not found"))
    }
}

impl From<ApiError> for OgError {
    fn from(err: ApiError) -> OgError {
        OgError::new(err.status.as_u16(), err.message)
    }
}

/// A rule's outcome: the store failed (`Err`), or Opsgenie refuses (`Ok(Err)`).
pub type Ruled<T> = Result<Result<T, OgError>, ApiError>;

/// The value a [`Ruled`] outcome allows; its refusal (or the store's failure) is returned from
/// the function that asked.
macro_rules! ruled {
    ($outcome:expr) => {
        match $outcome? {
            Ok(value) => value,
            Err(refusal) => return Ok(Err(refusal)),
        }
    };
}
pub(super) use ruled;

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// A fresh id in Opsgenie's shape (a UUID).
pub fn new_id() -> String {
    crate::server::auth::new_uuid()
}

/// The object `identifier` names in `collection`: by id, or by its lookup (a username, a
/// lowercased name) when `by_name`.
pub fn find(
    tx: &Transaction,
    collection: Collection,
    identifier: &str,
    by_name: bool,
) -> Result<Option<Value>, ApiError> {
    if by_name {
        return Ok(collection
            .all(tx, Some(&identifier.to_lowercase()))?
            .into_iter()
            .next());
    }
    collection.get(tx, identifier)
}

/// A user named by id or username (users take either in a path).
pub fn find_user(tx: &Transaction, identifier: &str) -> Result<Option<Value>, ApiError> {
    match USERS.get(tx, identifier)? {
        Some(user) => Ok(Some(user)),
        None => find(tx, USERS, identifier, true),
    }
}

/// 422 when another object of `collection` than `existing` has `name` (without case): the
/// document declares no 409.
fn unique(
    tx: &Transaction,
    collection: Collection,
    name: &str,
    existing: Option<&Value>,
    noun: &str,
) -> Ruled<()> {
    let except = existing.map(|e| text(e, "id"));
    let taken = collection
        .all(tx, Some(&name.to_lowercase()))?
        .iter()
        .any(|o| Some(text(o, "id")) != except);
    Ok(if taken {
        Err(OgError::field(
            if noun == "User" { "username" } else { "name" },
            format!("{noun} [{name}] already exists"),
        ))
    } else {
        Ok(())
    })
}

/// The items of a JSON list field (none when it is missing).
fn items(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

/// A create or update of a user: `username` an email (the identity, unique without case),
/// `fullName`, `role.name` one of [`ROLES`], `timeZone` a zone Opsgenie knows.
pub fn user(tx: &Transaction, body: &Value, existing: Option<&Value>) -> Ruled<Value> {
    let mut user = existing.cloned().unwrap_or_else(|| json!({}));
    merge(&mut user, body);
    let username = text(&user, "username").to_owned();
    if username.is_empty() {
        return Ok(Err(OgError::field("username", "Username can not be empty")));
    }
    if username.len() > 100 || !crate::model::validate::is_valid_email(&username) {
        return Ok(Err(OgError::field(
            "username",
            "Username must be a valid e-mail address of at most 100 characters",
        )));
    }
    if existing.is_some_and(|e| !text(e, "username").eq_ignore_ascii_case(&username)) {
        return Ok(Err(OgError::field(
            "username",
            "Username of a user can not be changed",
        )));
    }
    ruled!(unique(tx, USERS, &username, existing, "User"));
    let full_name = text(&user, "fullName");
    if full_name.is_empty() || full_name.len() > 512 {
        return Ok(Err(OgError::field(
            "fullName",
            "Full name can not be empty or longer than 512 characters",
        )));
    }
    let role = user["role"]["name"].as_str().unwrap_or_default();
    let Some(role) = ROLES.iter().find(|r| r.eq_ignore_ascii_case(role)) else {
        return Ok(Err(OgError::field(
            "role",
            format!("Role [{role}] is not a valid role"),
        )));
    };
    if existing.is_none() && *role == "Owner" {
        return Ok(Err(OgError::new(
            403,
            "A user can not be created as the account owner",
        )));
    }
    if let Some(existing) = existing
        && (text(&existing["role"], "name") == "Owner") != (*role == "Owner")
    {
        return Ok(Err(OgError::new(
            403,
            "The owner role can only be handed over by the owner, in the web app",
        )));
    }
    user["role"] = json!({"id": role.to_lowercase(), "name": role});
    if let Some(zone) = user.get("timeZone").and_then(Value::as_str)
        && jiff::tz::db().get(zone).is_err()
    {
        return Ok(Err(OgError::field(
            "timeZone",
            format!("Time zone [{zone}] is not valid"),
        )));
    }
    if user.get("timeZone").is_none_or(Value::is_null) {
        user["timeZone"] = json!(DEFAULT_ZONE);
    }
    Ok(Ok(user))
}

/// Fields of `body` over `object`: Opsgenie's PATCH keeps what a body leaves out.
pub fn merge(object: &mut Value, body: &Value) {
    if let (Some(object), Some(body)) = (object.as_object_mut(), body.as_object()) {
        for (key, value) in body {
            object.insert(key.clone(), value.clone());
        }
    }
}

/// A user reference (`{id}` or `{username}`) as the stored `{id, username}`.
fn user_ref(tx: &Transaction, reference: &Value, field: &str) -> Ruled<Value> {
    let identifier = [text(reference, "id"), text(reference, "username")]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_owned();
    match find_user(tx, &identifier)? {
        Some(user) => Ok(Ok(json!({"id": user["id"], "username": user["username"]}))),
        None => Ok(Err(OgError::field(
            field,
            format!("User [{identifier}] does not exist"),
        ))),
    }
}

/// A team: a unique `name` of letters, digits, spaces, `_ . -` under 100 characters, members
/// that are users, each `user` (default) or `admin`.
pub fn team(tx: &Transaction, body: &Value, existing: Option<&Value>) -> Ruled<Value> {
    let mut team = existing.cloned().unwrap_or_else(|| json!({}));
    merge(&mut team, body);
    let name = text(&team, "name").to_owned();
    let valid = !name.is_empty()
        && name.len() < 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.-".contains(c));
    if !valid {
        return Ok(Err(OgError::field(
            "name",
            "Team name must be under 100 characters of letters, digits, spaces, '_', '.' and '-'",
        )));
    }
    ruled!(unique(tx, TEAMS, &name, existing, "Team"));
    let mut members = Vec::new();
    for (index, member) in items(&team["members"]).iter().enumerate() {
        let user = ruled!(user_ref(
            tx,
            &member["user"],
            &format!("members[{index}].user")
        ));
        let role = member.get("role").and_then(Value::as_str).unwrap_or("user");
        if role != "user" && role != "admin" {
            return Ok(Err(OgError::field(
                &format!("members[{index}].role"),
                format!("Team role [{role}] does not exist"),
            )));
        }
        members.push(json!({"user": user, "role": role}));
    }
    team["members"] = Value::Array(members);
    if team.get("description").is_none() {
        team["description"] = json!("");
    }
    Ok(Ok(team))
}

/// What a new team comes with: a schedule and an escalation of its own (named after it), the
/// escalation paging whoever the schedule has on call.
pub fn team_defaults(tx: &Transaction, team: &Value) -> Result<(), ApiError> {
    let name = text(team, "name");
    let owner = json!({"id": team["id"], "name": name});
    let schedule_id = new_id();
    let schedule = json!({
        "id": schedule_id, "name": format!("{name}_schedule"), "description": "",
        "timezone": DEFAULT_ZONE, "enabled": true, "ownerTeam": owner, "rotations": [],
    });
    SCHEDULES.put(tx, &schedule, &lookup(&schedule), 0)?;
    let escalation = json!({
        "id": new_id(), "name": format!("{name}_escalation"), "description": "",
        "ownerTeam": owner,
        "rules": [{"condition": "if-not-acked", "notifyType": "default",
                   "delay": {"timeAmount": 0, "timeUnit": "minutes"},
                   "recipient": {"type": "schedule", "id": schedule_id, "name": format!("{name}_schedule")}}],
    });
    ESCALATIONS.put(tx, &escalation, &lookup(&escalation), 0)
}

/// What an object is found by when named: its name (a user's username), lowercased.
pub fn lookup(object: &Value) -> String {
    let name = object
        .get("username")
        .or_else(|| object.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    name.to_lowercase()
}

/// A schedule (without its rotations): a unique `name`, a `timezone` Opsgenie knows, and an
/// owner team that exists.
pub fn schedule(tx: &Transaction, body: &Value, existing: Option<&Value>) -> Ruled<Value> {
    let mut schedule = existing
        .cloned()
        .unwrap_or_else(|| json!({"rotations": []}));
    let rotations = body.get("rotations").cloned();
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("rotations");
    }
    merge(&mut schedule, &body);
    let name = text(&schedule, "name").to_owned();
    if name.is_empty() || name.len() >= 100 {
        return Ok(Err(OgError::field(
            "name",
            "Schedule name can not be empty or 100 characters or longer",
        )));
    }
    ruled!(unique(tx, SCHEDULES, &name, existing, "Schedule"));
    if schedule.get("timezone").is_none_or(Value::is_null) {
        schedule["timezone"] = json!(DEFAULT_ZONE);
    }
    let zone = text(&schedule, "timezone").to_owned();
    if jiff::tz::db().get(&zone).is_err() {
        return Ok(Err(OgError::field(
            "timezone",
            format!("Timezone [{zone}] is not valid"),
        )));
    }
    if schedule.get("enabled").is_none() {
        schedule["enabled"] = json!(true);
    }
    ruled!(owner_team(tx, &mut schedule));
    if let Some(rotations) = rotations {
        let mut made = Vec::new();
        for (index, rotation_body) in items(&rotations).iter().enumerate() {
            made.push(ruled!(rotation(
                tx,
                rotation_body,
                None,
                &format!("rotations[{index}].")
            )));
        }
        schedule["rotations"] = Value::Array(made);
    }
    Ok(Ok(schedule))
}

/// `ownerTeam` (by id or name) as the stored `{id, name}`, when there is one.
fn owner_team(tx: &Transaction, object: &mut Value) -> Ruled<()> {
    let Some(owner) = object.get("ownerTeam").filter(|o| !o.is_null()).cloned() else {
        return Ok(Ok(()));
    };
    let team = match (text(&owner, "id"), text(&owner, "name")) {
        ("", name) => find(tx, TEAMS, name, true)?,
        (id, _) => TEAMS.get(tx, id)?,
    };
    match team {
        Some(team) => {
            object["ownerTeam"] = json!({"id": team["id"], "name": team["name"]});
            Ok(Ok(()))
        }
        None => Ok(Err(OgError::field(
            "ownerTeam",
            "Owner team does not exist",
        ))),
    }
}

/// A rotation of a schedule: a type of [`ROTATION_TYPES`], a `length` of at least 1, a
/// `startDate` (minutes moved to the nearest :00 or :30, as the document says), an `endDate`
/// after it, participants (users that exist, or `none`), and a time restriction of a valid shape.
/// `at` prefixes field names in errors (`rotations[1].`).
pub fn rotation(
    tx: &Transaction,
    body: &Value,
    existing: Option<&Value>,
    at: &str,
) -> Ruled<Value> {
    let mut rotation = existing.cloned().unwrap_or_else(|| json!({"id": new_id()}));
    merge(&mut rotation, body);
    let field = |name: &str| format!("{at}{name}");
    let kind = text(&rotation, "type");
    if !ROTATION_TYPES.contains(&kind) {
        return Ok(Err(OgError::field(
            &field("type"),
            format!("Rotation type [{kind}] is not valid: it must be one of daily, weekly, hourly"),
        )));
    }
    let length = rotation.get("length").map_or(Some(1), Value::as_u64);
    match length {
        Some(length) if length >= 1 => rotation["length"] = json!(length),
        _ => {
            return Ok(Err(OgError::field(
                &field("length"),
                "Rotation length must be a positive number",
            )));
        }
    }
    let Some(start) = instant(&rotation, "startDate") else {
        return Ok(Err(OgError::field(
            &field("startDate"),
            "Start date must be a date-time such as 2027-01-04T09:00:00Z",
        )));
    };
    rotation["startDate"] = json!(rounded(start).to_string());
    if rotation.get("endDate").is_some_and(|v| !v.is_null()) {
        match instant(&rotation, "endDate") {
            Some(end) if end > start => rotation["endDate"] = json!(rounded(end).to_string()),
            _ => {
                return Ok(Err(OgError::field(
                    &field("endDate"),
                    "End date must be a date-time after the start date",
                )));
            }
        }
    }
    let participants = items(&rotation["participants"]);
    if participants.is_empty() {
        return Ok(Err(OgError::field(
            &field("participants"),
            "Participants can not be empty",
        )));
    }
    let mut stored = Vec::new();
    for (index, participant) in participants.iter().enumerate() {
        let at = field(&format!("participants[{index}]"));
        match text(participant, "type") {
            "none" => stored.push(json!({"type": "none"})),
            "user" => {
                let mut user = ruled!(user_ref(tx, participant, &at));
                user["type"] = json!("user");
                stored.push(user);
            }
            other => {
                return Ok(Err(OgError::field(
                    &format!("{at}.type"),
                    format!("Participant type [{other}] is not supported: use user or none"),
                )));
            }
        }
    }
    rotation["participants"] = Value::Array(stored);
    if let Some(restriction) = rotation.get("timeRestriction").filter(|r| !r.is_null())
        && let Err(err) = time_restriction(restriction, &field("timeRestriction"))
    {
        return Ok(Err(err));
    }
    Ok(Ok(rotation))
}

fn instant(object: &Value, field: &str) -> Option<jiff::Timestamp> {
    object.get(field)?.as_str()?.parse().ok()
}

/// A start or end moved to the nearest :00 or :30 of UTC (ties up), seconds dropped.
fn rounded(at: jiff::Timestamp) -> jiff::Timestamp {
    let seconds = at.as_second();
    let half_hour = 1800;
    let down = seconds.div_euclid(half_hour) * half_hour;
    let up = down + half_hour;
    let nearest = if seconds - down < up - seconds {
        down
    } else {
        up
    };
    jiff::Timestamp::from_second(nearest).unwrap_or(at)
}

/// `time-of-day` with one `restriction`, or `weekday-and-time-of-day` with 1–15
/// `restrictions`; hours 0–23, minutes 0–59, days named in full.
fn time_restriction(restriction: &Value, at: &str) -> Result<(), OgError> {
    let times = |r: &Value, at: &str| -> Result<(), OgError> {
        for (name, most) in [
            ("startHour", 23),
            ("startMin", 59),
            ("endHour", 23),
            ("endMin", 59),
        ] {
            match r.get(name).and_then(Value::as_u64) {
                Some(n) if n <= most => {}
                _ => {
                    return Err(OgError::field(
                        &format!("{at}.{name}"),
                        format!("{name} must be a number from 0 to {most}"),
                    ));
                }
            }
        }
        Ok(())
    };
    match text(restriction, "type") {
        "time-of-day" => times(&restriction["restriction"], &format!("{at}.restriction")),
        "weekday-and-time-of-day" => {
            let list = items(&restriction["restrictions"]);
            if list.is_empty() || list.len() > 15 {
                return Err(OgError::field(
                    &format!("{at}.restrictions"),
                    "A weekday time restriction has 1 to 15 restrictions",
                ));
            }
            for (index, r) in list.iter().enumerate() {
                let at = format!("{at}.restrictions[{index}]");
                times(r, &at)?;
                for day in ["startDay", "endDay"] {
                    if !DAYS.contains(&text(r, day)) {
                        return Err(OgError::field(
                            &format!("{at}.{day}"),
                            format!("{day} must be one of {}", DAYS.join(", ")),
                        ));
                    }
                }
            }
            Ok(())
        }
        other => Err(OgError::field(
            &format!("{at}.type"),
            format!(
                "Time restriction type [{other}] is not valid: use time-of-day or weekday-and-time-of-day"
            ),
        )),
    }
}

/// A recipient (`user`, `team`, `schedule`, `escalation`) by id or name, as `{type, id, name}`.
fn recipient(tx: &Transaction, recipient: &Value, at: &str, allowed: &[&str]) -> Ruled<Value> {
    let kind = text(recipient, "type");
    if !allowed.contains(&kind) {
        return Ok(Err(OgError::field(
            &format!("{at}.type"),
            format!("Invalid recipient type '{kind}'"),
        )));
    }
    let id = text(recipient, "id");
    let name = [text(recipient, "name"), text(recipient, "username")]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let found = match kind {
        "user" if id.is_empty() => find_user(tx, name)?,
        "user" => USERS.get(tx, id)?,
        _ => {
            let collection = match kind {
                "team" => TEAMS,
                "schedule" => SCHEDULES,
                _ => ESCALATIONS,
            };
            if id.is_empty() {
                find(tx, collection, name, true)?
            } else {
                collection.get(tx, id)?
            }
        }
    };
    match found {
        Some(object) => {
            let shown = if kind == "user" {
                json!({"type": kind, "id": object["id"], "username": object["username"]})
            } else {
                json!({"type": kind, "id": object["id"], "name": object["name"]})
            };
            Ok(Ok(shown))
        }
        None => Ok(Err(OgError::field(
            at,
            format!(
                "Recipient [{kind}] [{}] does not exist",
                if id.is_empty() { name } else { id }
            ),
        ))),
    }
}

/// The key under which a schedule keeps its overrides: internal (`_`), so no schedule answer
/// shows them, as Opsgenie's do not.
pub const OVERRIDES: &str = "_overrides";

/// An override of `schedule`: a `user` (an existing user, or `none`) on call from `startDate` to
/// a later `endDate` in the rotations named (by id or name; all when none are), under an
/// `alias` (generated when the body has none; unique in the schedule).
pub fn schedule_override(
    tx: &Transaction,
    schedule: &Value,
    body: &Value,
    existing: Option<&Value>,
) -> Ruled<Value> {
    let mut made = existing.cloned().unwrap_or_else(|| json!({}));
    merge(&mut made, body);
    let user = &made["user"];
    made["user"] = match text(user, "type") {
        "none" => json!({"type": "none"}),
        "user" => {
            let mut found = ruled!(user_ref(tx, user, "user"));
            found["type"] = json!("user");
            found
        }
        other => {
            return Ok(Err(OgError::field(
                "user.type",
                format!("Override user type [{other}] is not valid: use user or none"),
            )));
        }
    };
    let (Some(start), Some(end)) = (instant(&made, "startDate"), instant(&made, "endDate")) else {
        return Ok(Err(OgError::field(
            "startDate",
            "Start and end dates must be date-times",
        )));
    };
    if end <= start {
        return Ok(Err(OgError::field(
            "endDate",
            "End date must be after the start date",
        )));
    }
    let known = items(&schedule["rotations"]);
    let mut rotations = Vec::new();
    for (index, wanted) in items(&made["rotations"]).iter().enumerate() {
        let found = known.iter().find(|r| {
            (wanted["id"].is_string() && r["id"] == wanted["id"])
                || (wanted["name"].is_string() && r["name"] == wanted["name"])
        });
        match found {
            Some(rotation) => {
                rotations.push(json!({"id": rotation["id"], "name": rotation["name"]}));
            }
            None => {
                return Ok(Err(OgError::field(
                    &format!("rotations[{index}]"),
                    "Rotation does not exist in the schedule",
                )));
            }
        }
    }
    made["rotations"] = Value::Array(rotations);
    if made.get("alias").is_none_or(|a| !a.is_string()) {
        made["alias"] = json!(new_id());
    }
    let alias = made["alias"].clone();
    let taken = existing.is_none()
        && items(&schedule[OVERRIDES])
            .iter()
            .any(|o| o["alias"] == alias);
    if taken {
        return Ok(Err(OgError::field(
            "alias",
            "An override with this alias already exists",
        )));
    }
    Ok(Ok(made))
}

/// An escalation: a unique `name`, at least one rule (each with a valid condition, notify type,
/// delay and a user, team or schedule that exists), and a `repeat` whose count is 0–20.
pub fn escalation(tx: &Transaction, body: &Value, existing: Option<&Value>) -> Ruled<Value> {
    let mut escalation = existing.cloned().unwrap_or_else(|| json!({}));
    merge(&mut escalation, body);
    let name = text(&escalation, "name").to_owned();
    if name.is_empty() {
        return Ok(Err(OgError::field("name", "Name can not be empty")));
    }
    ruled!(unique(tx, ESCALATIONS, &name, existing, "Escalation"));
    let rules = items(&escalation["rules"]);
    if rules.is_empty() {
        return Ok(Err(OgError::field("rules", "Rules can not be empty")));
    }
    let mut stored = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let at = format!("rules[{index}]");
        let condition = rule
            .get("condition")
            .and_then(Value::as_str)
            .unwrap_or("if-not-acked");
        if condition != "if-not-acked" && condition != "if-not-closed" {
            return Ok(Err(OgError::field(
                &format!("{at}.condition"),
                format!("Invalid condition '{condition}'"),
            )));
        }
        let notify = rule
            .get("notifyType")
            .and_then(Value::as_str)
            .unwrap_or("default");
        if ![
            "default", "next", "previous", "users", "admins", "all", "random",
        ]
        .contains(&notify)
        {
            return Ok(Err(OgError::field(
                &format!("{at}.notifyType"),
                format!("Invalid notify type '{notify}'"),
            )));
        }
        let Some(amount) = rule["delay"]["timeAmount"].as_u64() else {
            return Ok(Err(OgError::field(
                &format!("{at}.delay.timeAmount"),
                "Delay time amount must be a non-negative number",
            )));
        };
        let unit = rule["delay"]
            .get("timeUnit")
            .and_then(Value::as_str)
            .unwrap_or("minutes");
        let target = ruled!(recipient(
            tx,
            &rule["recipient"],
            &format!("{at}.recipient"),
            &["user", "team", "schedule"],
        ));
        stored.push(json!({
            "condition": condition, "notifyType": notify,
            "delay": {"timeAmount": amount, "timeUnit": unit}, "recipient": target,
        }));
    }
    escalation["rules"] = Value::Array(stored);
    if let Some(repeat) = escalation.get("repeat").filter(|r| !r.is_null()) {
        let count = repeat.get("count").map_or(Some(0), Value::as_u64);
        if count.is_none_or(|c| c > 20) {
            return Ok(Err(OgError::field(
                "repeat.count",
                "Repeat count must be a number from 0 to 20",
            )));
        }
    }
    ruled!(owner_team(tx, &mut escalation));
    if escalation.get("description").is_none() {
        escalation["description"] = json!("");
    }
    Ok(Ok(escalation))
}

/// An integration: a `type` of [`INTEGRATION_TYPES`] that never changes, a unique `name` of 1–250
/// characters, responders that exist; a new one gets its `apiKey`.
pub fn integration(tx: &Transaction, body: &Value, existing: Option<&Value>) -> Ruled<Value> {
    let mut integration = existing
        .cloned()
        .unwrap_or_else(|| json!({"enabled": true}));
    if let Some(map) = integration.as_object_mut() {
        // A full-body PUT: what the body leaves out goes, but for what the service owns.
        if existing.is_some() {
            map.retain(|k, _| ["id", "type", "apiKey", "enabled"].contains(&k.as_str()));
        }
    }
    merge(&mut integration, body);
    let kind = text(&integration, "type").to_owned();
    if !INTEGRATION_TYPES.contains(&kind.as_str()) {
        return Ok(Err(OgError::field(
            "type",
            format!("Integration type [{kind}] is not valid"),
        )));
    }
    if let Some(existing) = existing
        && text(existing, "type") != kind
    {
        return Ok(Err(OgError::field(
            "type",
            "Type of an integration can not be changed",
        )));
    }
    let name = text(&integration, "name").to_owned();
    if name.is_empty() || name.len() > 250 {
        return Ok(Err(OgError::field(
            "name",
            "Name must be 1 to 250 characters",
        )));
    }
    ruled!(unique(tx, INTEGRATIONS, &name, existing, "Integration"));
    let mut responders = Vec::new();
    for (index, r) in items(&integration["responders"]).iter().enumerate() {
        responders.push(ruled!(recipient(
            tx,
            r,
            &format!("responders[{index}]"),
            &["user", "team", "schedule", "escalation"],
        )));
    }
    integration["responders"] = Value::Array(responders);
    ruled!(owner_team(tx, &mut integration));
    if integration.get("apiKey").is_none() {
        integration["apiKey"] = json!(new_id());
    }
    if kind == "Email" && integration.get("emailAddress").is_none() {
        let local: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let suffix = &text(&integration, "apiKey")[..8];
        integration["emailAddress"] = json!(format!("{local}-{suffix}@alertform.opsgenie.net"));
    }
    Ok(Ok(integration))
}

/// A heartbeat: a `name` (its identifier, which never changes) of at most 200 letters, digits,
/// `.`, `_` and `-` (Terraform's check), an `interval` of at least 1 in `minutes`, `hours` or
/// `days`, `enabled` on create, and at most 20 alert tags of 50 characters.
pub fn heartbeat(tx: &Transaction, body: &Value, existing: Option<&Value>) -> Ruled<Value> {
    let mut made = existing.cloned().unwrap_or_else(|| json!({}));
    if let (Some(existing), Some(name)) = (existing, body.get("name").and_then(Value::as_str))
        && name != text(existing, "name")
    {
        return Ok(Err(OgError::field(
            "name",
            "Name of a heartbeat can not be changed",
        )));
    }
    merge(&mut made, body);
    let name = text(&made, "name").to_owned();
    let valid = !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !valid {
        return Ok(Err(OgError::field(
            "name",
            "Heartbeat name must be 1 to 200 letters, digits, '.', '_' and '-'",
        )));
    }
    if existing.is_none() {
        ruled!(unique(tx, HEARTBEATS, &name, None, "Heartbeat"));
    }
    if made
        .get("interval")
        .and_then(Value::as_u64)
        .is_none_or(|i| i < 1)
    {
        return Ok(Err(OgError::field(
            "interval",
            "Interval must be at least 1",
        )));
    }
    if !["minutes", "hours", "days"].contains(&text(&made, "intervalUnit")) {
        return Ok(Err(OgError::field(
            "intervalUnit",
            "Interval unit must be one of minutes, hours, days",
        )));
    }
    if !made.get("enabled").is_some_and(Value::is_boolean) {
        return Ok(Err(OgError::field(
            "enabled",
            "Enabled must be true or false",
        )));
    }
    let tags = items(&made["alertTags"]);
    if tags.len() > 20 || tags.iter().any(|t| t.as_str().is_none_or(|t| t.len() > 50)) {
        return Ok(Err(OgError::field(
            "alertTags",
            "At most 20 alert tags of at most 50 characters",
        )));
    }
    made["id"] = json!(name);
    made["expired"] = json!(false);
    Ok(Ok(made))
}

/// An alert policy (notification policies are not emulated): a unique `name`, a filter that
/// matches all alerts or all of its conditions (each on a known field with a known operation),
/// and responders (users, teams, escalations, schedules) that exist.
pub fn policy(tx: &Transaction, body: &Value, existing: Option<&Value>) -> Ruled<Value> {
    let mut made = existing
        .cloned()
        .unwrap_or_else(|| json!({"enabled": true}));
    if existing.is_some()
        && let Some(map) = made.as_object_mut()
    {
        // A full-body PUT.
        map.retain(|k, _| k == "id" || k == "enabled");
    }
    merge(&mut made, body);
    if text(&made, "type") != "alert" {
        return Ok(Err(OgError::field(
            "type",
            "Only alert policies are emulated: type must be alert",
        )));
    }
    let name = text(&made, "name").to_owned();
    if name.is_empty() {
        return Ok(Err(OgError::field("name", "Name can not be empty")));
    }
    ruled!(unique(tx, POLICIES, &name, existing, "Policy"));
    let filter = &made["filter"];
    match text(filter, "type") {
        "match-all" => {}
        "match-all-conditions" | "match-any-condition" => {
            let conditions = items(&filter["conditions"]);
            if conditions.is_empty() {
                return Ok(Err(OgError::field(
                    "filter.conditions",
                    "Conditions can not be empty",
                )));
            }
            for (index, condition) in conditions.iter().enumerate() {
                let known_field = [
                    "message",
                    "alias",
                    "description",
                    "source",
                    "entity",
                    "tags",
                    "actions",
                    "extra-properties",
                    "recipients",
                    "teams",
                    "priority",
                    "details",
                    "responders",
                ];
                let known_operation = [
                    "matches",
                    "contains",
                    "starts-with",
                    "ends-with",
                    "equals",
                    "contains-key",
                    "contains-value",
                    "greater-than",
                    "less-than",
                    "is-empty",
                    "equals-ignore-whitespace",
                ];
                if !known_field.contains(&text(condition, "field"))
                    || !known_operation.contains(&text(condition, "operation"))
                {
                    return Ok(Err(OgError::field(
                        &format!("filter.conditions[{index}]"),
                        "Condition field or operation is not valid",
                    )));
                }
            }
        }
        other => {
            return Ok(Err(OgError::field(
                "filter.type",
                format!("Filter type [{other}] is not valid"),
            )));
        }
    }
    let mut responders = Vec::new();
    for (index, r) in items(&made["responders"]).iter().enumerate() {
        responders.push(ruled!(recipient(
            tx,
            r,
            &format!("responders[{index}]"),
            &["user", "team", "schedule", "escalation"],
        )));
    }
    made["responders"] = Value::Array(responders);
    Ok(Ok(made))
}

/// The name of the first object of `collection` that `holds` says holds something.
fn first_holding(
    tx: &Transaction,
    collection: Collection,
    holds: impl Fn(&Value) -> bool,
) -> Result<Option<String>, ApiError> {
    Ok(collection
        .all(tx, None)?
        .into_iter()
        .find(|o| holds(o))
        .map(|o| text(&o, "name").to_owned()))
}

/// Why a user cannot be deleted yet (428): a team holds them, or a rotation does.
pub fn user_held(tx: &Transaction, user_id: &str) -> Result<Option<String>, ApiError> {
    let member = |team: &Value| {
        items(&team["members"])
            .iter()
            .any(|m| m["user"]["id"] == user_id)
    };
    if let Some(team) = first_holding(tx, TEAMS, member)? {
        return Ok(Some(format!(
            "User is a member of team [{team}]: remove them from it first"
        )));
    }
    let participant = |schedule: &Value| {
        items(&schedule["rotations"])
            .iter()
            .flat_map(|r| items(&r["participants"]))
            .any(|p| p["id"] == user_id)
    };
    Ok(first_holding(tx, SCHEDULES, participant)?.map(|schedule| {
        format!("User is a participant of a rotation of schedule [{schedule}]: remove them from it first")
    }))
}

/// Why an object cannot be deleted because an escalation rule or an integration names it.
pub fn referenced(tx: &Transaction, kind: &str, id: &str) -> Result<Option<String>, ApiError> {
    let names = |r: &Value| r["type"] == kind && r["id"] == id;
    let rule = |e: &Value| items(&e["rules"]).iter().any(|r| names(&r["recipient"]));
    if let Some(escalation) = first_holding(tx, ESCALATIONS, rule)? {
        return Ok(Some(format!("It is used in escalation [{escalation}]")));
    }
    let responder = |i: &Value| items(&i["responders"]).iter().any(names);
    if let Some(integration) = first_holding(tx, INTEGRATIONS, responder)? {
        return Ok(Some(format!(
            "It is a responder of integration [{integration}]"
        )));
    }
    Ok(first_holding(tx, POLICIES, responder)?
        .map(|policy| format!("It is a responder of alert policy [{policy}]")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_store<T>(f: impl FnOnce(&Transaction) -> T) -> T {
        let (_dir, store) = crate::server::store::Store::temporary();
        store.write(|tx| Ok(f(tx))).unwrap()
    }

    fn made(tx: &Transaction, collection: Collection, ruled: Ruled<Value>) -> Value {
        let mut object = ruled.unwrap().unwrap();
        if object.get("id").is_none() {
            object["id"] = json!(new_id());
        }
        collection.put(tx, &object, &lookup(&object), 0).unwrap();
        object
    }

    #[test]
    fn a_start_moves_to_the_nearest_half_hour() {
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        assert_eq!(
            rounded(at("2027-01-04T09:14:00Z")),
            at("2027-01-04T09:00:00Z")
        );
        assert_eq!(
            rounded(at("2027-01-04T09:15:00Z")),
            at("2027-01-04T09:30:00Z")
        );
        assert_eq!(
            rounded(at("2027-01-04T09:50:10Z")),
            at("2027-01-04T10:00:00Z")
        );
    }

    #[test]
    fn users_are_emails_with_a_known_role_and_never_made_owners() {
        with_store(|tx| {
            let bad = user(
                tx,
                &json!({"username": "alice", "fullName": "A", "role": {"name": "user"}}),
                None,
            );
            assert_eq!(
                bad.unwrap().unwrap_err().errors.keys().next().unwrap(),
                "username"
            );
            let owner = user(
                tx,
                &json!({"username": "a@x.io", "fullName": "A", "role": {"name": "owner"}}),
                None,
            );
            assert_eq!(owner.unwrap().unwrap_err().status, 403);
            let alice = made(
                tx,
                USERS,
                user(
                    tx,
                    &json!({"username": "a@x.io", "fullName": "A", "role": {"name": "admin"}}),
                    None,
                ),
            );
            assert_eq!(alice["role"]["name"], "Admin");
            assert_eq!(alice["timeZone"], DEFAULT_ZONE);
            let again = user(
                tx,
                &json!({"username": "A@X.io", "fullName": "B", "role": {"name": "user"}}),
                None,
            );
            assert_eq!(again.unwrap().unwrap_err().status, 422);
        });
    }

    #[test]
    fn a_user_in_a_team_or_a_rotation_is_held() {
        with_store(|tx| {
            let alice = made(
                tx,
                USERS,
                user(
                    tx,
                    &json!({"username": "a@x.io", "fullName": "A", "role": {"name": "user"}}),
                    None,
                ),
            );
            let id = alice["id"].as_str().unwrap();
            assert_eq!(user_held(tx, id).unwrap(), None);
            made(
                tx,
                TEAMS,
                team(
                    tx,
                    &json!({"name": "SRE", "members": [{"user": {"username": "a@x.io"}}]}),
                    None,
                ),
            );
            assert!(user_held(tx, id).unwrap().unwrap().contains("team [SRE]"));
        });
    }

    #[test]
    fn rotations_check_types_participants_and_restrictions() {
        with_store(|tx| {
            made(
                tx,
                USERS,
                user(
                    tx,
                    &json!({"username": "a@x.io", "fullName": "A", "role": {"name": "user"}}),
                    None,
                ),
            );
            let ok = |body: Value| rotation(tx, &body, None, "rotations[0].").unwrap();
            let base = json!({"type": "weekly", "startDate": "2027-01-04T09:10:00Z", "participants": [{"type": "user", "username": "a@x.io"}]});
            let rotation_made = ok(base.clone()).unwrap();
            assert_eq!(rotation_made["startDate"], "2027-01-04T09:00:00Z");
            assert_eq!(rotation_made["length"], 1);
            let mut monthly = base.clone();
            monthly["type"] = json!("monthly");
            assert!(
                ok(monthly)
                    .unwrap_err()
                    .errors
                    .contains_key("rotations[0].type")
            );
            let mut nobody = base.clone();
            nobody["participants"] = json!([{"type": "user", "username": "zed@x.io"}]);
            assert!(ok(nobody).unwrap_err().message.contains("zed@x.io"));
            let mut late = base.clone();
            late["timeRestriction"] = json!({"type": "time-of-day", "restriction": {"startHour": 24, "startMin": 0, "endHour": 5, "endMin": 0}});
            assert!(
                ok(late)
                    .unwrap_err()
                    .errors
                    .contains_key("rotations[0].timeRestriction.restriction.startHour")
            );
            let mut weekdays = base;
            weekdays["timeRestriction"] = json!({"type": "weekday-and-time-of-day", "restrictions": [
                {"startDay": "monday", "startHour": 9, "startMin": 0, "endDay": "monday", "endHour": 17, "endMin": 0}]});
            assert!(ok(weekdays).is_ok());
        });
    }

    #[test]
    fn a_new_team_brings_its_schedule_and_escalation() {
        with_store(|tx| {
            let sre = made(tx, TEAMS, team(tx, &json!({"name": "SRE"}), None));
            team_defaults(tx, &sre).unwrap();
            let schedule = find(tx, SCHEDULES, "sre_schedule", true).unwrap().unwrap();
            assert_eq!(schedule["ownerTeam"]["name"], "SRE");
            let escalation = find(tx, ESCALATIONS, "SRE_escalation", true)
                .unwrap()
                .unwrap();
            assert_eq!(escalation["rules"][0]["recipient"]["id"], schedule["id"]);
            let id = schedule["id"].as_str().unwrap();
            assert!(referenced(tx, "schedule", id).unwrap().is_some());
        });
    }
}
