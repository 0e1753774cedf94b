//! The Web API's vocabulary: requests (`chat.postMessage` and any method), answers and
//! their typed errors. A leaf: the engine that decides about them is [`web_api`](crate::web_api).

mod answer;
mod request;

pub use answer::{ApiAnswer, ApiError, PostedMessage};
pub use request::{ApiRequest, ChatPostMessage};
