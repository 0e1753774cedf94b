//! rtm-driver (under construction)
#![forbid(unsafe_code)]
