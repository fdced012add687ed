//! Reads and writes live state: the only client-side code that speaks HTTP. (Not built yet: see
//! the plan issue.)
