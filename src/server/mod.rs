//! The bundled backing service (`alertform serve`): REST API over `SQLite`. (Not built yet: see the
//! server issue.)
