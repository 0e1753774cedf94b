//! rtm-testkit (under construction)
#![forbid(unsafe_code)]
