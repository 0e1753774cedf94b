//! What scripted (simulated human) users can do.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One act of a simulated user, turned into the event Slack would send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum UserAction {
    /// Post a message (`message` event, recorded in the channel's history).
    Message {
        /// The author's user id.
        user: String,
        /// The channel id.
        channel: String,
        /// The text.
        text: String,
    },
    /// React to a message (`reaction_added`); `ts` defaults to the channel's last message.
    React {
        /// The reacting user's id.
        user: String,
        /// The channel id.
        channel: String,
        /// The `ts` of the message reacted to (default: the channel's last message).
        #[serde(default)]
        ts: Option<String>,
        /// The emoji name, without colons (e.g. `eyes`).
        reaction: String,
    },
    /// Start typing (`user_typing`).
    Typing {
        /// The typing user's id.
        user: String,
        /// The channel id.
        channel: String,
    },
    /// Join a channel (`member_joined_channel`).
    Join {
        /// The joining user's id.
        user: String,
        /// The channel id.
        channel: String,
    },
    /// Change presence to `active` or `away` (`presence_change`, only to subscribers).
    Presence {
        /// The user's id.
        user: String,
        /// `active` or `away`.
        presence: String,
    },
}

/// A conversation: acts with their delay from the moment the script is started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    /// The steps, each timed from the start.
    pub steps: Vec<ScriptStep>,
}

/// One step of a [`Script`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptStep {
    /// The delay from the script's start.
    #[serde(with = "super::fault::millis", rename = "after_ms")]
    pub after: Duration,
    /// The act.
    #[serde(flatten)]
    pub action: UserAction,
}

impl Script {
    /// An empty script.
    pub fn new() -> Self {
        Script::default()
    }

    /// Adds an act `after` the script's start.
    pub fn then(mut self, after: Duration, action: UserAction) -> Self {
        self.steps.push(ScriptStep { after, action });
        self
    }
}

use std::time::Instant;

use super::events::{self, MessageEvent};
use super::{HistoryEntry, ModelError, Pending, ServerAction, SlackModel};

impl SlackModel {
    /// A simulated user acts now; the matching event goes to the connections that would see it.
    pub fn act(
        &mut self,
        now: Instant,
        action: UserAction,
    ) -> Result<Vec<ServerAction>, ModelError> {
        let mut out = Vec::new();
        self.act_into(now, action, &mut out)?;
        Ok(out)
    }

    /// A simulated user acts at `at` (performed by [`SlackModel::tick`]).
    pub fn schedule_act(&mut self, at: Instant, action: UserAction) {
        self.schedule(at, Pending::Act(action));
    }

    /// Schedules every step of a script relative to `now`.
    pub fn run_script(&mut self, now: Instant, script: &Script) {
        for step in &script.steps {
            self.schedule_act(now + step.after, step.action.clone());
        }
    }

    pub(super) fn act_into(
        &mut self,
        now: Instant,
        action: UserAction,
        out: &mut Vec<ServerAction>,
    ) -> Result<(), ModelError> {
        let check_user = |m: &Self, u: &str| {
            m.ws.user(u)
                .map(|_| ())
                .ok_or_else(|| ModelError::UnknownUser(u.into()))
        };
        let check_channel = |m: &Self, c: &str| {
            m.ws.channel(c)
                .map(|_| ())
                .ok_or_else(|| ModelError::UnknownChannel(c.into()))
        };
        let (channel, event, events_api) = match &action {
            UserAction::Message {
                user,
                channel,
                text,
            } => {
                check_user(self, user)?;
                check_channel(self, channel)?;
                let ts = self.ts.next(now);
                self.history
                    .entry(channel.clone())
                    .or_default()
                    .push(HistoryEntry {
                        ts: ts.clone(),
                        user: user.clone(),
                        text: text.clone(),
                        thread_ts: None,
                    });
                let client_msg_id = self.rng.uuid();
                let block_id = self.rng.block_id();
                let bot_id = self.ws.user(user).and_then(|u| u.bot_id.clone());
                let event = events::message(&MessageEvent {
                    user,
                    text,
                    channel,
                    team: &self.ws.team.id,
                    ts: &ts,
                    client_msg_id: Some(&client_msg_id),
                    block_id: &block_id,
                    bot_id: bot_id.as_deref(),
                    thread_ts: None,
                    blocks: None,
                });
                (channel, event, true)
            }
            UserAction::React {
                user,
                channel,
                ts,
                reaction,
            } => {
                check_user(self, user)?;
                check_channel(self, channel)?;
                let (item_ts, item_user) = match ts {
                    Some(ts) => {
                        let author = self
                            .history(channel)
                            .iter()
                            .find(|h| h.ts == *ts)
                            .map(|h| h.user.clone());
                        (ts.clone(), author)
                    }
                    None => {
                        let last = self
                            .history(channel)
                            .last()
                            .ok_or_else(|| ModelError::NothingToReact(channel.clone()))?;
                        (last.ts.clone(), Some(last.user.clone()))
                    }
                };
                let event_ts = self.ts.next(now);
                let event = events::reaction_added(
                    user,
                    reaction,
                    channel,
                    &item_ts,
                    item_user.as_deref(),
                    &event_ts,
                );
                (channel, event, true)
            }
            UserAction::Typing { user, channel } => {
                check_user(self, user)?;
                check_channel(self, channel)?;
                // Typing is RTM only: the Events API has no such event.
                (channel, events::user_typing(channel, user), false)
            }
            UserAction::Join { user, channel } => {
                check_user(self, user)?;
                check_channel(self, channel)?;
                let event_ts = self.ts.next(now);
                let ch = self
                    .ws
                    .channel_mut(channel)
                    .ok_or_else(|| ModelError::UnknownChannel(channel.clone()))?;
                if !ch.members.contains(user) {
                    ch.members.push(user.clone());
                }
                let letter = ch.type_letter();
                let event = events::member_joined_channel(
                    user,
                    channel,
                    letter,
                    &self.ws.team.id,
                    &event_ts,
                );
                (channel, event, true)
            }
            UserAction::Presence { user, presence } => {
                check_user(self, user)?;
                // Slack sends presence changes only for users the connection subscribed to.
                let event = events::presence_change(user, presence);
                let subscribed: Vec<_> = self
                    .record
                    .open_conns()
                    .filter(|c| {
                        c.presence_sub
                            .as_ref()
                            .is_some_and(|ids| ids.contains(user))
                    })
                    .map(|c| c.conn)
                    .collect();
                for conn in subscribed {
                    self.send(now, conn, event.clone(), out);
                }
                return Ok(());
            }
        };
        // Like Slack, the bot hears only conversations it is a member of.
        let bot_is_member = self
            .ws
            .channel(channel)
            .is_some_and(|c| c.members.contains(&self.ws.bot_user_id));
        if bot_is_member {
            // RTM sessions get the event itself; Socket Mode connections carry their own
            // envelopes (sent below), not the bare event.
            for conn in self.open_connections() {
                if !self.is_link_conn(conn) {
                    self.send(now, conn, event.clone(), out);
                }
            }
            if events_api {
                self.event_to_apps(now, &event, out);
            }
        }
        Ok(())
    }
}
