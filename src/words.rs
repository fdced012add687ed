//! English for messages: suggestions for near-misses and articles. A leaf any module may use
//! (config diagnostics, the server's error bodies, command hints) without importing config.

/// `help` text suggesting the closest of `candidates` to `given`, if one is close enough.
pub fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(given, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate closest to `given` by Jaro-Winkler similarity, if similar enough to suggest.
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(given, c), c))
        .filter(|(score, _)| *score >= 0.8)
        // Ties go to the alphabetically first candidate, whatever order the candidates came in.
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// "a" or "an", for messages that name a value: "an email integration", "a user".
pub fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
