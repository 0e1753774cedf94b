//! rtm-async-std (under construction)
#![forbid(unsafe_code)]
