//! rtm-tokio (under construction)
#![forbid(unsafe_code)]
