//! Checks of single values that both the config and the server need.

/// A pragmatic address check: one `@`, a local part without spaces, a dotted domain.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// E.164: `+`, a country code not starting with 0, at most 15 digits in all.
pub fn is_valid_phone(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// An IANA time zone name such as `Europe/Berlin`.
pub fn is_valid_time_zone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}

/// Every IANA time zone name, for suggestions.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// Template gallery slugs: `[a-z0-9_]+`.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A schedule's wall-clock start: `YYYY-MM-DDTHH:MM[:SS]`, no offset or zone.
pub fn parse_local_datetime(text: &str) -> Option<jiff::civil::DateTime> {
    let plain = matches!(text.len(), 16 | 19)
        && text.as_bytes().get(10) == Some(&b'T')
        && !text.contains(['Z', '+', '[']);
    plain.then(|| text.parse().ok()).flatten()
}

/// A wall-clock time of day: `HH:MM`.
pub fn parse_clock(text: &str) -> Option<jiff::civil::Time> {
    (text.len() == 5 && text.as_bytes()[2] == b':')
        .then(|| text.parse().ok())
        .flatten()
}

/// A time zone known to the bundled IANA database (the one schedules are computed with).
pub fn schedule_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    jiff::tz::db().get(name).ok()
}

/// When the clocks skip `local` in `zone` (a daylight-saving gap): the offsets before and after.
pub fn skipped(
    zone: &jiff::tz::TimeZone,
    local: jiff::civil::DateTime,
) -> Option<(jiff::tz::Offset, jiff::tz::Offset)> {
    match zone.to_ambiguous_timestamp(local).offset() {
        jiff::tz::AmbiguousOffset::Gap { before, after } => Some((before, after)),
        _ => None,
    }
}

/// Country calling codes of two digits (E.164's codes are prefix-free: `1` and `7` are one
/// digit, these two, every other three).
const TWO_DIGIT_CODES: &[u16] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

/// `+14155550100` → (1, `4155550100`): vendors (PagerDuty, AlertOps) keep the country code
/// apart.
pub fn split_phone(e164: &str) -> Option<(u16, String)> {
    let digits = e164.strip_prefix('+')?;
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let length = if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT_CODES.contains(&digits[..2].parse().ok()?) {
        2
    } else {
        3
    };
    Some((digits[..length].parse().ok()?, digits[length..].to_owned()))
}

pub fn join_phone(country_code: u64, address: &str) -> String {
    format!("+{country_code}{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `valid` accepts each of `good` and refuses each of `bad`.
    fn sorts(valid: fn(&str) -> bool, good: &[&str], bad: &[&str]) {
        for text in good {
            assert!(valid(text), "{text:?} should be valid");
        }
        for text in bad {
            assert!(!valid(text), "{text:?} should be invalid");
        }
    }

    #[test]
    fn emails_phones_and_time_zones() {
        let emails = ["alice@example.com", "a.b+tag@sub.example.co.uk"];
        let not_emails = [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "alice@exa_mple.com",
            "alice@@example.com",
            ".a@example.com",
        ];
        let phones = ["+14155550100", "+4930123456"];
        let not_phones = [
            "",
            "14155550100",
            "+0123456789",
            "+1415555010012345",
            "+1 415 555 0100",
            "+1234",
        ];
        let zones = ["Europe/Berlin", "UTC"];
        sorts(is_valid_email, &emails, &not_emails);
        sorts(is_valid_phone, &phones, &not_phones);
        sorts(
            is_valid_time_zone,
            &zones,
            &["Europe/Berlim", "Mars/Olympus"],
        );
    }
}
