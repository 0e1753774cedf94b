//! Typed views of the common Slack events, parsed only when asked for.

use serde::Deserialize;

/// A `message` event and its subtypes (`bot_message`, `message_changed`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Message {
    /// `subtype`, absent for a plain user message.
    pub subtype: Option<String>,
    /// The conversation.
    pub channel: Option<String>,
    /// The author.
    pub user: Option<String>,
    /// The text.
    pub text: Option<String>,
    /// The message timestamp (its id within the channel).
    pub ts: Option<String>,
    /// The thread parent, for replies in a thread.
    pub thread_ts: Option<String>,
    /// The bot, for `bot_message`.
    pub bot_id: Option<String>,
    /// The team of the author.
    pub team: Option<String>,
    /// The event's own timestamp.
    pub event_ts: Option<String>,
}

/// `user_typing`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserTyping {
    /// The conversation.
    pub channel: String,
    /// Who is typing.
    pub user: String,
}

/// `presence_change` (one `user`, or `users` when batched).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PresenceChange {
    /// The user, for a single change.
    pub user: Option<String>,
    /// The users, for a batched change.
    pub users: Option<Vec<String>>,
    /// `active` or `away`.
    pub presence: String,
}

/// The item a reaction is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReactionItem {
    /// `message`, `file`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The message's channel.
    pub channel: Option<String>,
    /// The message's timestamp.
    pub ts: Option<String>,
}

/// `reaction_added` and `reaction_removed`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reaction {
    /// Who reacted.
    pub user: String,
    /// The emoji name, without colons.
    pub reaction: String,
    /// The author of the item.
    pub item_user: Option<String>,
    /// What was reacted to.
    pub item: ReactionItem,
    /// When.
    pub event_ts: Option<String>,
}

/// A channel as it appears in channel events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChannelRef {
    /// The channel id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Who created it.
    pub creator: Option<String>,
}

/// `channel_created`, `channel_joined`, `channel_rename` (the channel as an object).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChannelObjectEvent {
    /// The channel.
    pub channel: ChannelRef,
}

/// `channel_left`, `channel_archive`, `channel_unarchive`, `channel_deleted` (the channel as an id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChannelIdEvent {
    /// The channel id.
    pub channel: String,
    /// Who did it, when given.
    pub user: Option<String>,
}

/// `member_joined_channel` and `member_left_channel`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MemberChannel {
    /// The member.
    pub user: String,
    /// The channel.
    pub channel: String,
    /// `C` (public) or `G` (private).
    pub channel_type: Option<String>,
    /// Who invited them.
    pub inviter: Option<String>,
}

/// A user as it appears in `team_join` and `user_change`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// The user id.
    pub id: String,
    /// The handle.
    pub name: Option<String>,
    /// The full name.
    pub real_name: Option<String>,
    /// Whether it is a bot.
    pub is_bot: Option<bool>,
    /// Whether it was deactivated.
    pub deleted: Option<bool>,
}

/// `team_join` and `user_change`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserEvent {
    /// The user.
    pub user: User,
}

/// The `error` object of an `error` frame.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorBody {
    /// Slack's numeric code.
    pub code: i64,
    /// Slack's message.
    pub msg: String,
}

/// An `error` frame.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorFrame {
    /// The error.
    pub error: ErrorBody,
}

/// The common Slack events; anything else is [`TypedEvent::Other`] (and always available raw).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypedEvent {
    /// `hello`.
    Hello,
    /// `message`, with any subtype.
    Message(Message),
    /// `user_typing`.
    UserTyping(UserTyping),
    /// `presence_change`.
    PresenceChange(PresenceChange),
    /// `reaction_added`.
    ReactionAdded(Reaction),
    /// `reaction_removed`.
    ReactionRemoved(Reaction),
    /// `channel_created`.
    ChannelCreated(ChannelObjectEvent),
    /// `channel_joined`.
    ChannelJoined(ChannelObjectEvent),
    /// `channel_rename`.
    ChannelRename(ChannelObjectEvent),
    /// `channel_left`.
    ChannelLeft(ChannelIdEvent),
    /// `channel_archive`.
    ChannelArchive(ChannelIdEvent),
    /// `channel_unarchive`.
    ChannelUnarchive(ChannelIdEvent),
    /// `channel_deleted`.
    ChannelDeleted(ChannelIdEvent),
    /// `member_joined_channel`.
    MemberJoinedChannel(MemberChannel),
    /// `member_left_channel`.
    MemberLeftChannel(MemberChannel),
    /// `team_join`.
    TeamJoin(UserEvent),
    /// `user_change`.
    UserChange(UserEvent),
    /// `goodbye`.
    Goodbye,
    /// `error`.
    Error(ErrorFrame),
    /// Any other type, or a reply without a type; see the raw frame.
    Other,
}

impl TypedEvent {
    /// The typed view of a frame whose `type` is `kind`.
    pub(crate) fn read(kind: Option<&str>, raw: &str) -> Result<TypedEvent, serde_json::Error> {
        fn p<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, serde_json::Error> {
            serde_json::from_str(raw)
        }
        let e = raw;
        Ok(match kind {
            Some("hello") => TypedEvent::Hello,
            Some("message") => TypedEvent::Message(p(e)?),
            Some("user_typing") => TypedEvent::UserTyping(p(e)?),
            Some("presence_change") => TypedEvent::PresenceChange(p(e)?),
            Some("reaction_added") => TypedEvent::ReactionAdded(p(e)?),
            Some("reaction_removed") => TypedEvent::ReactionRemoved(p(e)?),
            Some("channel_created") => TypedEvent::ChannelCreated(p(e)?),
            Some("channel_joined") => TypedEvent::ChannelJoined(p(e)?),
            Some("channel_rename") => TypedEvent::ChannelRename(p(e)?),
            Some("channel_left") => TypedEvent::ChannelLeft(p(e)?),
            Some("channel_archive") => TypedEvent::ChannelArchive(p(e)?),
            Some("channel_unarchive") => TypedEvent::ChannelUnarchive(p(e)?),
            Some("channel_deleted") => TypedEvent::ChannelDeleted(p(e)?),
            Some("member_joined_channel") => TypedEvent::MemberJoinedChannel(p(e)?),
            Some("member_left_channel") => TypedEvent::MemberLeftChannel(p(e)?),
            Some("team_join") => TypedEvent::TeamJoin(p(e)?),
            Some("user_change") => TypedEvent::UserChange(p(e)?),
            Some("goodbye") => TypedEvent::Goodbye,
            Some("error") => TypedEvent::Error(p(e)?),
            _ => TypedEvent::Other,
        })
    }
}
