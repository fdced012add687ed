//! The JSON Schema of the TOML config, for editors (taplo, VS Code) and `alertform schema`.

use schemars::generate::SchemaSettings;

use super::types::ConfigFile;

/// Draft-07, the newest draft taplo understands; pretty-printed with a trailing newline, exactly
/// as committed in `schema/alertform.schema.json`.
pub fn config_schema() -> String {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<ConfigFile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}
