//! The JSON Schema of the TOML config, for editors (taplo, VS Code) and `alertform schema`.

use super::types::ConfigFile;

/// Draft-07, the newest draft taplo understands; pretty-printed with a trailing newline, exactly
/// as committed in `schema/alertform.schema.json`.
pub fn config_schema() -> String {
    crate::json::schema_of::<ConfigFile>()
}
