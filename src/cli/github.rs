//! GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::…`): problems shown
//! as annotations on the changed lines of a pull request.

/// One annotation; `at` is (file, line, column) when the problem has a place.
pub fn annotation(
    level: &str,
    at: Option<(&str, usize, usize)>,
    title: &str,
    message: &str,
    help: Option<&str>,
) -> String {
    let place = match at {
        Some((file, line, column)) => {
            format!(" file={},line={line},col={column},", escape_property(file))
        }
        None => " ".to_owned(),
    };
    let help = help
        .map(|h| format!(" ({})", escape_data(h)))
        .unwrap_or_default();
    format!(
        "::{level}{place}title={}::{}{help}",
        escape_property(title),
        escape_data(message)
    )
}

/// Workflow-command data: `%`, CR and LF percent-encoded.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow-command property: also `:` and `,`, which end a property.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
