//! The pure planner: (desired model, observed state) → ordered changes. (Not built yet: see the
//! plan issue.)
