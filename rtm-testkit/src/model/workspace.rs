//! The simulated Slack workspace: team, users, channels and the tokens it accepts.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The team (workspace) identity returned by `rtm.connect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// `T…`
    pub id: String,
    /// The display name, e.g. `Test Team`.
    pub name: String,
    /// The subdomain, e.g. `testteam` (`testteam.slack.com`).
    pub domain: String,
}

/// A member of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// `U…`
    pub id: String,
    /// The user name, e.g. `alice`.
    pub name: String,
    /// Set for bot users, with their `B…` bot id.
    pub bot_id: Option<String>,
}

impl User {
    /// A human user.
    pub fn human(id: &str, name: &str) -> Self {
        User {
            id: id.into(),
            name: name.into(),
            bot_id: None,
        }
    }

    /// A bot user with its bot id.
    pub fn bot(id: &str, name: &str, bot_id: &str) -> Self {
        User {
            id: id.into(),
            name: name.into(),
            bot_id: Some(bot_id.into()),
        }
    }
}

/// A Slack app with Socket Mode on, and its app-level token (`xapp-…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    /// `A…`
    pub id: String,
    /// The app's name.
    pub name: String,
    /// The app-level token `apps.connections.open` accepts (scope `connections:write`).
    pub token: String,
    /// The bot token (`xoxb-…`) of the app's bot user (the workspace's bot user), which
    /// Web API methods such as `chat.postMessage` accept; `None`: the workspace's tokens.
    #[serde(default)]
    pub bot_token: Option<String>,
}

impl App {
    /// An app without a bot token of its own (it replies with the workspace's tokens).
    pub fn new(id: &str, name: &str, token: &str) -> Self {
        App {
            id: id.into(),
            name: name.into(),
            token: token.into(),
            bot_token: None,
        }
    }

    /// Gives the app's bot user this bot token (accepted by `chat.postMessage`).
    pub fn with_bot_token(mut self, token: &str) -> Self {
        self.bot_token = Some(token.into());
        self
    }
}

/// The app of a default workspace.
pub const DEFAULT_APP_ID: &str = "A0TESTAPP";
/// Its app-level token.
pub const DEFAULT_APP_TOKEN: &str = "xapp-1-A0TESTAPP-1-mock-app-token";

/// What kind of conversation a channel is; decides where `rtm.start` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A public channel (`C…`, in `channels`).
    Public,
    /// A private channel (`G…`, in `groups`).
    Private,
    /// A direct message with one user (`D…`, in `ims`).
    Im,
    /// A group direct message (`G…`, in `mpims`).
    Mpim,
}

/// A conversation messages can be posted to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// `C…`, `G…` or `D…`.
    pub id: String,
    /// The channel name, e.g. `general`.
    pub name: String,
    /// Public, private, IM or group IM.
    pub kind: ChannelKind,
    /// The member user ids (`chat.postMessage` needs the bot user among them).
    pub members: Vec<String>,
}

impl Channel {
    /// A public channel with these members.
    pub fn public(id: &str, name: &str, members: &[&str]) -> Self {
        Channel {
            id: id.into(),
            name: name.into(),
            kind: ChannelKind::Public,
            members: members.iter().map(|m| m.to_string()).collect(),
        }
    }

    /// `channel_type` as Slack writes it in events (`C`, `G`, `D`).
    pub fn type_letter(&self) -> &'static str {
        match self.kind {
            ChannelKind::Public => "C",
            ChannelKind::Private | ChannelKind::Mpim => "G",
            ChannelKind::Im => "D",
        }
    }
}

/// Everything the model knows about the workspace it simulates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// The team.
    pub team: Team,
    /// Its users, the bot user among them.
    pub users: Vec<User>,
    /// Its conversations.
    pub channels: Vec<Channel>,
    /// The user every RTM connection acts as (`self` in `rtm.connect`).
    pub bot_user_id: String,
    /// Tokens `rtm.connect` accepts.
    pub tokens: Vec<String>,
    /// Apps that can open Socket Mode connections (the first is the default app).
    #[serde(default)]
    pub apps: Vec<App>,
    /// Unix time (seconds) that the model's first instant maps to; `ts` values derive from it.
    pub unix_epoch_secs: u64,
    /// Seed of the generator behind tickets and `client_msg_id`s (deterministic runs).
    pub seed: u64,
}

/// The token a default workspace accepts.
pub const DEFAULT_TOKEN: &str = "xoxb-test-token";

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            team: Team {
                id: "T0TESTTEAM".into(),
                name: "Test Team".into(),
                domain: "testteam".into(),
            },
            users: vec![
                User::bot("U0BOT", "testbot", "B0BOT"),
                User::human("U0ALICE", "alice"),
                User::human("U0BOB", "bob"),
            ],
            channels: vec![
                Channel::public("C0GENERAL", "general", &["U0BOT", "U0ALICE", "U0BOB"]),
                Channel::public("C0RANDOM", "random", &["U0BOT", "U0ALICE"]),
                Channel {
                    id: "G0PRIVATE".into(),
                    name: "secret".into(),
                    kind: ChannelKind::Private,
                    members: vec!["U0BOT".into(), "U0BOB".into()],
                },
                Channel {
                    id: "D0ALICE".into(),
                    name: "U0ALICE".into(),
                    kind: ChannelKind::Im,
                    members: vec!["U0BOT".into(), "U0ALICE".into()],
                },
            ],
            bot_user_id: "U0BOT".into(),
            tokens: vec![DEFAULT_TOKEN.into()],
            apps: vec![
                App::new(DEFAULT_APP_ID, "testapp", DEFAULT_APP_TOKEN)
                    .with_bot_token(DEFAULT_TOKEN),
            ],
            unix_epoch_secs: 1_700_000_000,
            seed: 0x5eed_51ac,
        }
    }
}

impl Workspace {
    /// Accepts only these tokens (replaces the default one).
    pub fn with_tokens<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tokens: I) -> Self {
        self.tokens = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a Socket Mode app.
    pub fn with_app(mut self, app: App) -> Self {
        self.apps.push(app);
        self
    }

    /// Adds a user.
    pub fn with_user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Adds a channel.
    pub fn with_channel(mut self, channel: Channel) -> Self {
        self.channels.push(channel);
        self
    }

    /// Replaces the team identity.
    pub fn with_team(mut self, team: Team) -> Self {
        self.team = team;
        self
    }

    /// Sets the seed for tickets and generated ids.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The channel with this id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    pub(crate) fn channel_mut(&mut self, id: &str) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| c.id == id)
    }

    /// The bot user, falling back to a synthetic one if the id is not in `users`.
    pub fn bot(&self) -> User {
        self.user(&self.bot_user_id)
            .cloned()
            .unwrap_or_else(|| User::bot(&self.bot_user_id, "bot", "B0BOT"))
    }

    /// `users` as `rtm.start` lists them.
    pub(crate) fn users_json(&self) -> Value {
        Value::Array(
            self.users
                .iter()
                .map(|u| {
                    json!({
                        "id": u.id, "team_id": self.team.id, "name": u.name,
                        "deleted": false, "is_bot": u.bot_id.is_some(),
                        "presence": "active",
                    })
                })
                .collect(),
        )
    }

    /// Channels of one kind as `rtm.start` lists them.
    pub(crate) fn channels_json(&self, kind: ChannelKind) -> Value {
        Value::Array(
            self.channels
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| match kind {
                    ChannelKind::Im => json!({
                        "id": c.id, "is_im": true,
                        "user": c.members.iter().find(|m| **m != self.bot_user_id),
                    }),
                    _ => json!({
                        "id": c.id, "name": c.name,
                        "is_channel": kind == ChannelKind::Public,
                        "is_group": kind == ChannelKind::Private,
                        "is_mpim": kind == ChannelKind::Mpim,
                        "is_member": c.members.contains(&self.bot_user_id),
                        "members": c.members,
                    }),
                })
                .collect(),
        )
    }

    /// `bots` as `rtm.start` lists them.
    pub(crate) fn bots_json(&self) -> Value {
        Value::Array(
            self.users
                .iter()
                .filter_map(|u| {
                    u.bot_id
                        .as_ref()
                        .map(|b| json!({"id": b, "name": u.name, "deleted": false}))
                })
                .collect(),
        )
    }
}
