//! Typed views of the common Slack events, parsed only when asked for.
//!
//! Every struct and [`TypedEvent`] are `#[non_exhaustive]`: Slack adds fields and events, and
//! so will this module, without a breaking release. Read them by field, match them with `..`;
//! a field Slack omits is `None` (or empty), and any field not typed here is in the raw frame
//! ([`SlackEvent::raw`](crate::SlackEvent::raw), [`SlackEvent::parse`](crate::SlackEvent::parse)).

use serde::Deserialize;
use serde_json::Value;

/// A `message` event and its subtypes (`bot_message`, `message_changed`, `message_deleted`,
/// `message_replied`, `thread_broadcast`, `channel_join`, ...).
///
/// An edit (`message_changed`) carries the new version in [`message`](Self::message) and the
/// old one in [`previous_message`](Self::previous_message); its own `text` is absent. Read
/// [`current_text`](Self::current_text) (or [`current`](Self::current)) to get what the
/// message says now, whatever the subtype.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// `subtype`, absent for a plain user message.
    pub subtype: Option<String>,
    /// The conversation.
    pub channel: Option<String>,
    /// `channel`, `group`, `im`, `mpim` or `app_home` (Events API; absent on RTM).
    pub channel_type: Option<String>,
    /// The author.
    pub user: Option<String>,
    /// The text.
    pub text: Option<String>,
    /// The message timestamp (its id within the channel).
    pub ts: Option<String>,
    /// The thread parent, for replies in a thread.
    pub thread_ts: Option<String>,
    /// The bot, for `bot_message` (and messages posted by an app).
    pub bot_id: Option<String>,
    /// The team of the author.
    pub team: Option<String>,
    /// The event's own timestamp.
    pub event_ts: Option<String>,
    /// Who edited the message and when, once it has been edited.
    pub edited: Option<Edited>,
    /// Whether the message is hidden (`message_changed`, `message_deleted`, ...: an update not
    /// to be shown as a message of its own).
    #[serde(default)]
    pub hidden: bool,
    /// Block Kit blocks, as Slack sent them.
    #[serde(default)]
    pub blocks: Vec<Value>,
    /// Legacy attachments, as Slack sent them.
    #[serde(default)]
    pub attachments: Vec<Value>,
    /// Files shared with the message (`file_share`).
    #[serde(default)]
    pub files: Vec<File>,
    /// `message_changed`: the message as it is now.
    pub message: Option<Box<Message>>,
    /// `message_changed`, `message_deleted`: the message as it was.
    pub previous_message: Option<Box<Message>>,
    /// `message_deleted`: the `ts` of the deleted message.
    pub deleted_ts: Option<String>,
}

impl Message {
    /// The message as it is now: the nested [`message`](Self::message) of an edit
    /// (`message_changed`), otherwise this message itself.
    pub fn current(&self) -> &Message {
        self.message.as_deref().unwrap_or(self)
    }

    /// What the message says now: an edit's new text, a plain message's text; `None` for a
    /// deletion (`message_deleted`) or a message without text.
    pub fn current_text(&self) -> Option<&str> {
        self.current().text.as_deref()
    }

    /// Whether this is an edit of an earlier message (`message_changed`).
    pub fn is_edit(&self) -> bool {
        self.subtype.as_deref() == Some("message_changed")
    }

    /// Whether this is the deletion of a message (`message_deleted`).
    pub fn is_deletion(&self) -> bool {
        self.subtype.as_deref() == Some("message_deleted")
    }
}

/// The `edited` marker of an edited message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Edited {
    /// Who edited it.
    pub user: Option<String>,
    /// When.
    pub ts: String,
}

/// A file, as events carry it: often only its `id` (`file_*` events), fully in a message's
/// `files`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct File {
    /// The file id (`F…`).
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// The MIME type.
    pub mimetype: Option<String>,
    /// Slack's file type (`png`, `text`, ...).
    pub filetype: Option<String>,
    /// Who uploaded it.
    pub user: Option<String>,
    /// Its size in bytes.
    pub size: Option<u64>,
    /// Where to download it (needs the token).
    pub url_private: Option<String>,
    /// Its page in Slack.
    pub permalink: Option<String>,
}

/// `user_typing`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserTyping {
    /// The conversation.
    pub channel: String,
    /// Who is typing.
    pub user: String,
}

/// `presence_change` (one `user`, or `users` when batched).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
pub struct ChannelObjectEvent {
    /// The channel.
    pub channel: ChannelRef,
}

/// `channel_left`, `channel_archive`, `channel_unarchive`, `channel_deleted` (the channel as an id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ChannelIdEvent {
    /// The channel id.
    pub channel: String,
    /// Who did it, when given.
    pub user: Option<String>,
}

/// `member_joined_channel` and `member_left_channel`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
pub struct UserEvent {
    /// The user.
    pub user: User,
}

/// The `error` object of an `error` frame.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// Slack's numeric code.
    pub code: i64,
    /// Slack's message.
    pub msg: String,
}

/// An `error` frame.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ErrorFrame {
    /// The error.
    pub error: ErrorBody,
}

/// `group_open`, `group_close`, `im_open`, `im_close`, `mpim_open`, `mpim_close`: a
/// conversation opened or closed in the user's sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ConversationOpenClose {
    /// The user.
    pub user: Option<String>,
    /// The conversation id.
    pub channel: String,
}

/// `group_history_changed`, `im_history_changed`, `mpim_history_changed`: bulk changes to a
/// conversation's history; clients should reload it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HistoryChanged {
    /// The newest message's timestamp.
    pub latest: Option<String>,
    /// When the change happened.
    pub ts: Option<String>,
    /// The event's own timestamp.
    pub event_ts: Option<String>,
}

/// `group_marked`, `im_marked`: the read cursor of a conversation moved.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Marked {
    /// The conversation.
    pub channel: String,
    /// The cursor: everything up to this message is read.
    pub ts: String,
}

/// `im_created`: a direct message conversation was created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ImCreated {
    /// The user it is with.
    pub user: String,
    /// The conversation.
    pub channel: ChannelRef,
}

/// `manual_presence_change`: the user set their own presence.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ManualPresenceChange {
    /// `active` or `away`.
    pub presence: String,
}

/// The item of a pin or a star: a message, a file, a file comment, or (stars) a channel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Item {
    /// `message`, `file`, `file_comment`, `channel`, `im`, `group`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The conversation (messages, and the starred conversation itself).
    pub channel: Option<String>,
    /// The message, as Slack sent it.
    pub message: Option<Value>,
    /// The file, as Slack sent it.
    pub file: Option<Value>,
    /// The file comment, as Slack sent it.
    pub comment: Option<Value>,
    /// When it was pinned (pins).
    pub created: Option<i64>,
    /// Who pinned it (pins).
    pub created_by: Option<String>,
    /// The message's timestamp, when given outside `message`.
    pub ts: Option<String>,
}

/// `pin_added` and `pin_removed`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Pin {
    /// Who pinned (or unpinned) it.
    pub user: String,
    /// The conversation.
    pub channel_id: String,
    /// What was pinned.
    pub item: Item,
    /// `pin_removed`: whether the channel still has pins.
    pub has_pins: Option<bool>,
    /// When.
    pub event_ts: Option<String>,
}

/// `star_added` and `star_removed`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Star {
    /// Who starred (or unstarred) it.
    pub user: String,
    /// What was starred.
    pub item: Item,
    /// When.
    pub event_ts: Option<String>,
}

/// A file reference: `{"id": "F…"}` in `file_*` events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FileRef {
    /// The file id.
    pub id: String,
}

/// `file_created`, `file_shared`, `file_unshared`, `file_public`, `file_deleted`,
/// `file_change`: the file is given by id (fetch it with `files.info`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FileEvent {
    /// The file id.
    pub file_id: String,
    /// The file (usually only its id).
    pub file: Option<FileRef>,
    /// `file_shared`: who shared it.
    pub user_id: Option<String>,
    /// `file_shared`, `file_unshared`: the conversation.
    pub channel_id: Option<String>,
    /// When.
    pub event_ts: Option<String>,
}

/// `file_comment_added`, `file_comment_edited` (the comment as an object) and
/// `file_comment_deleted` (the comment's id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FileComment {
    /// The file id.
    pub file_id: String,
    /// The file (usually only its id).
    pub file: Option<FileRef>,
    /// The comment: an object when added or edited, its id (a string) when deleted.
    pub comment: Value,
    /// When.
    pub event_ts: Option<String>,
}

/// A user's Do Not Disturb settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DndStatus {
    /// Whether DND is scheduled.
    pub dnd_enabled: bool,
    /// When the next DND period starts (Unix seconds).
    pub next_dnd_start_ts: Option<i64>,
    /// When it ends (Unix seconds).
    pub next_dnd_end_ts: Option<i64>,
    /// `dnd_updated` only (the user's own): whether a snooze is on.
    pub snooze_enabled: Option<bool>,
    /// `dnd_updated` only: when the snooze ends (Unix seconds).
    pub snooze_endtime: Option<i64>,
}

/// `dnd_updated` (the connected user's own settings) and `dnd_updated_user` (a teammate's).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DndUpdated {
    /// The user.
    pub user: String,
    /// The new settings.
    pub dnd_status: DndStatus,
}

/// `emoji_changed`: a custom emoji was added (`subtype` `add`: `name`, `value`), removed
/// (`remove`: `names`) or renamed (`rename`: `old_name`, `new_name`, `value`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct EmojiChanged {
    /// `add`, `remove` or `rename`.
    pub subtype: Option<String>,
    /// `add`: the new emoji's name.
    pub name: Option<String>,
    /// `remove`: the removed names.
    #[serde(default)]
    pub names: Vec<String>,
    /// `add`, `rename`: its image URL, or `alias:other`.
    pub value: Option<String>,
    /// `rename`: the old name.
    pub old_name: Option<String>,
    /// `rename`: the new name.
    pub new_name: Option<String>,
    /// When.
    pub event_ts: Option<String>,
}

/// A bot integration, as `bot_added` and `bot_changed` carry it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Bot {
    /// The bot id (`B…`).
    pub id: String,
    /// The app it belongs to.
    pub app_id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its icons (`image_36`, `image_48`, `image_72`), as Slack sent them.
    pub icons: Option<Value>,
    /// Whether it was removed.
    pub deleted: Option<bool>,
}

/// `bot_added` and `bot_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BotEvent {
    /// The bot.
    pub bot: Bot,
}

/// `reconnect_url`: a URL to reconnect with (experimental per Slack, and unused by the
/// client, which calls `rtm.connect` again).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ReconnectUrl {
    /// The URL.
    pub url: String,
}

/// `app_mention` (Events API, e.g. through Socket Mode): the app was mentioned in a message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AppMention {
    /// Who mentioned it.
    pub user: Option<String>,
    /// The message's text, mention included (`<@U…>`).
    pub text: String,
    /// The message's timestamp.
    pub ts: String,
    /// The conversation.
    pub channel: String,
    /// The thread parent, when the mention is in a thread.
    pub thread_ts: Option<String>,
    /// The author's team.
    pub team: Option<String>,
    /// Block Kit blocks, as Slack sent them.
    #[serde(default)]
    pub blocks: Vec<Value>,
    /// Who edited the message, if it was.
    pub edited: Option<Edited>,
    /// When.
    pub event_ts: Option<String>,
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
    /// `group_joined`: the user joined a private channel (legacy `group`).
    GroupJoined(ChannelObjectEvent),
    /// `group_left`.
    GroupLeft(ChannelIdEvent),
    /// `group_archive`.
    GroupArchive(ChannelIdEvent),
    /// `group_unarchive`.
    GroupUnarchive(ChannelIdEvent),
    /// `group_deleted`.
    GroupDeleted(ChannelIdEvent),
    /// `group_rename`.
    GroupRename(ChannelObjectEvent),
    /// `group_open`.
    GroupOpen(ConversationOpenClose),
    /// `group_close`.
    GroupClose(ConversationOpenClose),
    /// `group_history_changed`.
    GroupHistoryChanged(HistoryChanged),
    /// `group_marked`.
    GroupMarked(Marked),
    /// `im_created`.
    ImCreated(ImCreated),
    /// `im_open`.
    ImOpen(ConversationOpenClose),
    /// `im_close`.
    ImClose(ConversationOpenClose),
    /// `im_history_changed`.
    ImHistoryChanged(HistoryChanged),
    /// `im_marked`.
    ImMarked(Marked),
    /// `mpim_joined`.
    MpimJoined(ChannelObjectEvent),
    /// `mpim_open`.
    MpimOpen(ConversationOpenClose),
    /// `mpim_close`.
    MpimClose(ConversationOpenClose),
    /// `mpim_history_changed`.
    MpimHistoryChanged(HistoryChanged),
    /// `manual_presence_change`.
    ManualPresenceChange(ManualPresenceChange),
    /// `pin_added`.
    PinAdded(Pin),
    /// `pin_removed`.
    PinRemoved(Pin),
    /// `star_added`.
    StarAdded(Star),
    /// `star_removed`.
    StarRemoved(Star),
    /// `file_created`.
    FileCreated(FileEvent),
    /// `file_shared`.
    FileShared(FileEvent),
    /// `file_unshared`.
    FileUnshared(FileEvent),
    /// `file_public`.
    FilePublic(FileEvent),
    /// `file_deleted`.
    FileDeleted(FileEvent),
    /// `file_change`.
    FileChange(FileEvent),
    /// `file_comment_added`.
    FileCommentAdded(FileComment),
    /// `file_comment_edited`.
    FileCommentEdited(FileComment),
    /// `file_comment_deleted`.
    FileCommentDeleted(FileComment),
    /// `dnd_updated`.
    DndUpdated(DndUpdated),
    /// `dnd_updated_user`.
    DndUpdatedUser(DndUpdated),
    /// `emoji_changed`.
    EmojiChanged(EmojiChanged),
    /// `bot_added`.
    BotAdded(BotEvent),
    /// `bot_changed`.
    BotChanged(BotEvent),
    /// `team_migration_started` (the client reconnects by itself).
    TeamMigrationStarted,
    /// `reconnect_url`.
    ReconnectUrl(ReconnectUrl),
    /// `app_mention`.
    AppMention(AppMention),
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
            Some("group_joined") => TypedEvent::GroupJoined(p(e)?),
            Some("group_left") => TypedEvent::GroupLeft(p(e)?),
            Some("group_archive") => TypedEvent::GroupArchive(p(e)?),
            Some("group_unarchive") => TypedEvent::GroupUnarchive(p(e)?),
            Some("group_deleted") => TypedEvent::GroupDeleted(p(e)?),
            Some("group_rename") => TypedEvent::GroupRename(p(e)?),
            Some("group_open") => TypedEvent::GroupOpen(p(e)?),
            Some("group_close") => TypedEvent::GroupClose(p(e)?),
            Some("group_history_changed") => TypedEvent::GroupHistoryChanged(p(e)?),
            Some("group_marked") => TypedEvent::GroupMarked(p(e)?),
            Some("im_created") => TypedEvent::ImCreated(p(e)?),
            Some("im_open") => TypedEvent::ImOpen(p(e)?),
            Some("im_close") => TypedEvent::ImClose(p(e)?),
            Some("im_history_changed") => TypedEvent::ImHistoryChanged(p(e)?),
            Some("im_marked") => TypedEvent::ImMarked(p(e)?),
            Some("mpim_joined") => TypedEvent::MpimJoined(p(e)?),
            Some("mpim_open") => TypedEvent::MpimOpen(p(e)?),
            Some("mpim_close") => TypedEvent::MpimClose(p(e)?),
            Some("mpim_history_changed") => TypedEvent::MpimHistoryChanged(p(e)?),
            Some("manual_presence_change") => TypedEvent::ManualPresenceChange(p(e)?),
            Some("pin_added") => TypedEvent::PinAdded(p(e)?),
            Some("pin_removed") => TypedEvent::PinRemoved(p(e)?),
            Some("star_added") => TypedEvent::StarAdded(p(e)?),
            Some("star_removed") => TypedEvent::StarRemoved(p(e)?),
            Some("file_created") => TypedEvent::FileCreated(p(e)?),
            Some("file_shared") => TypedEvent::FileShared(p(e)?),
            Some("file_unshared") => TypedEvent::FileUnshared(p(e)?),
            Some("file_public") => TypedEvent::FilePublic(p(e)?),
            Some("file_deleted") => TypedEvent::FileDeleted(p(e)?),
            Some("file_change") => TypedEvent::FileChange(p(e)?),
            Some("file_comment_added") => TypedEvent::FileCommentAdded(p(e)?),
            Some("file_comment_edited") => TypedEvent::FileCommentEdited(p(e)?),
            Some("file_comment_deleted") => TypedEvent::FileCommentDeleted(p(e)?),
            Some("dnd_updated") => TypedEvent::DndUpdated(p(e)?),
            Some("dnd_updated_user") => TypedEvent::DndUpdatedUser(p(e)?),
            Some("emoji_changed") => TypedEvent::EmojiChanged(p(e)?),
            Some("bot_added") => TypedEvent::BotAdded(p(e)?),
            Some("bot_changed") => TypedEvent::BotChanged(p(e)?),
            Some("team_migration_started") => TypedEvent::TeamMigrationStarted,
            Some("reconnect_url") => TypedEvent::ReconnectUrl(p(e)?),
            Some("app_mention") => TypedEvent::AppMention(p(e)?),
            Some("goodbye") => TypedEvent::Goodbye,
            Some("error") => TypedEvent::Error(p(e)?),
            _ => TypedEvent::Other,
        })
    }
}
