//! `alertform schema`

use crate::config::schema::config_schema;
use crate::exit::ExitStatus;
use crate::printer::Printer;

pub fn run(printer: &Printer) -> ExitStatus {
    printer.out(config_schema().trim_end());
    ExitStatus::Success
}
