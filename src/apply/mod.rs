//! Carries out a plan through a provider, in dependency order. (Not built yet: see the apply issue.)
