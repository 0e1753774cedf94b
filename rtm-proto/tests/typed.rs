//! Typed views of Slack events (`rtm_proto::typed`), each from a frame shaped as Slack
//! documents it (https://api.slack.com/events), and the `SlackEvent::message` shortcut.

use rtm_proto::typed::{
    AppMention, BotEvent, ChannelIdEvent, ChannelObjectEvent, ConversationOpenClose, DndUpdated,
    EmojiChanged, FileComment, FileEvent, HistoryChanged, ImCreated, ManualPresenceChange, Marked,
    Message, Pin, ReconnectUrl, Star,
};
use rtm_proto::{SlackEvent, TypedEvent};

fn typed(frame: &str) -> TypedEvent {
    let event = SlackEvent::from_json(frame).expect("a JSON object");
    event.typed().unwrap_or_else(|e| panic!("{frame}: {e}"))
}

fn message(frame: &str) -> Message {
    match typed(frame) {
        TypedEvent::Message(m) => m,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn a_plain_message_with_blocks_attachments_files_and_its_channel_type() {
    let m = message(
        r##"{"type":"message","channel":"C123ABC456","channel_type":"channel","user":"U123ABC456",
        "text":"Hello world","ts":"1355517523.000005","team":"T061EG9R6",
        "blocks":[{"type":"rich_text","block_id":"Bx1","elements":[{"type":"rich_text_section",
        "elements":[{"type":"text","text":"Hello world"}]}]}],
        "attachments":[{"fallback":"Required plain-text summary","color":"#36a64f","text":"Optional"}],
        "files":[{"id":"F0123ABC456","name":"report.pdf","title":"Report","mimetype":"application/pdf",
        "filetype":"pdf","user":"U123ABC456","size":12345,
        "url_private":"https://files.slack.com/files-pri/T061EG9R6-F0123ABC456/report.pdf",
        "permalink":"https://example.slack.com/files/U123ABC456/F0123ABC456/report.pdf"}],
        "event_ts":"1355517523.000005"}"##,
    );
    assert_eq!(m.channel_type.as_deref(), Some("channel"));
    assert_eq!(m.current_text(), Some("Hello world"));
    assert_eq!(m.blocks.len(), 1);
    assert_eq!(m.blocks[0]["type"], "rich_text");
    assert_eq!(m.attachments[0]["color"], "#36a64f");
    assert_eq!(m.files.len(), 1);
    let f = &m.files[0];
    assert_eq!(f.id, "F0123ABC456");
    assert_eq!(f.name.as_deref(), Some("report.pdf"));
    assert_eq!(f.size, Some(12345));
    assert!(!m.hidden && m.edited.is_none() && !m.is_edit() && !m.is_deletion());
}

#[test]
fn a_bot_message_in_a_thread() {
    let m = message(
        r#"{"type":"message","subtype":"bot_message","ts":"1358877455.000010","text":"Pushing is the answer",
        "bot_id":"BB12033","username":"github","icons":{},"channel":"C2147483705",
        "thread_ts":"1358877400.000001"}"#,
    );
    assert_eq!(m.bot_id.as_deref(), Some("BB12033"));
    assert_eq!(m.thread_ts.as_deref(), Some("1358877400.000001"));
    assert!(m.blocks.is_empty() && m.attachments.is_empty() && m.files.is_empty());
}

#[test]
fn message_changed_reads_the_new_text_and_keeps_the_old_one() {
    let m = message(
        r#"{"type":"message","subtype":"message_changed","hidden":true,"channel":"C123ABC456",
        "ts":"1358878755.000001","event_ts":"1358878755.000001",
        "message":{"type":"message","user":"U123ABC456","text":"Hello, world!","ts":"1355517523.000005",
        "edited":{"user":"U123ABC456","ts":"1358878755.000001"}},
        "previous_message":{"type":"message","user":"U123ABC456","text":"Hello, wrld","ts":"1355517523.000005"}}"#,
    );
    assert!(m.is_edit() && m.hidden);
    assert_eq!(m.text, None, "the edit event has no text of its own");
    assert_eq!(m.current_text(), Some("Hello, world!"));
    let now = m.current();
    assert_eq!(now.ts.as_deref(), Some("1355517523.000005"));
    let edited = now
        .edited
        .as_ref()
        .expect("the new version is marked edited");
    assert_eq!(edited.user.as_deref(), Some("U123ABC456"));
    assert_eq!(edited.ts, "1358878755.000001");
    let before = m.previous_message.as_deref().expect("previous_message");
    assert_eq!(before.text.as_deref(), Some("Hello, wrld"));
}

#[test]
fn message_deleted_has_no_current_text_but_names_what_was_deleted() {
    let m = message(
        r#"{"type":"message","subtype":"message_deleted","hidden":true,"channel":"C123ABC456",
        "ts":"1358878755.000001","deleted_ts":"1358878749.000002",
        "previous_message":{"type":"message","user":"U123ABC456","text":"gone soon","ts":"1358878749.000002"}}"#,
    );
    assert!(m.is_deletion() && m.hidden);
    assert_eq!(m.current_text(), None);
    assert_eq!(m.deleted_ts.as_deref(), Some("1358878749.000002"));
    assert_eq!(
        m.previous_message.and_then(|p| p.text).as_deref(),
        Some("gone soon")
    );
}

#[test]
fn the_message_shortcut_reads_messages_only() {
    let edit = SlackEvent::from_json(
        r#"{"type":"message","subtype":"message_changed","channel":"C1","ts":"2.2",
        "message":{"type":"message","user":"U1","text":"new","ts":"1.1"}}"#,
    )
    .unwrap();
    assert_eq!(edit.message().unwrap().current_text(), Some("new"));
    let typing = SlackEvent::from_json(r#"{"type":"user_typing","channel":"C1","user":"U1"}"#);
    assert_eq!(typing.unwrap().message(), None);
    let reply = SlackEvent::from_json(r#"{"ok":true,"reply_to":1,"ts":"1.1","text":"x"}"#);
    assert_eq!(reply.unwrap().message(), None);
}

#[test]
fn group_events() {
    let TypedEvent::GroupJoined(ChannelObjectEvent { channel, .. }) = typed(
        r#"{"type":"group_joined","channel":{"id":"G024BE91L","name":"secretplans","created":1360782804,"creator":"U024BE7LH"}}"#,
    ) else {
        panic!("group_joined")
    };
    assert_eq!(
        (channel.id.as_str(), channel.name.as_deref()),
        ("G024BE91L", Some("secretplans"))
    );
    for (kind, want) in [
        ("group_left", "left"),
        ("group_archive", "archive"),
        ("group_unarchive", "unarchive"),
        ("group_deleted", "deleted"),
    ] {
        let frame = format!(r#"{{"type":"{kind}","channel":"G024BE91L","user":"U024BE7LH"}}"#);
        let ChannelIdEvent { channel, user, .. } = match (typed(&frame), want) {
            (TypedEvent::GroupLeft(e), "left")
            | (TypedEvent::GroupArchive(e), "archive")
            | (TypedEvent::GroupUnarchive(e), "unarchive")
            | (TypedEvent::GroupDeleted(e), "deleted") => e,
            (other, _) => panic!("{kind}: {other:?}"),
        };
        assert_eq!(
            (channel.as_str(), user.as_deref()),
            ("G024BE91L", Some("U024BE7LH"))
        );
    }
    let TypedEvent::GroupRename(e) = typed(
        r#"{"type":"group_rename","channel":{"id":"G02ELGNBH","name":"new_name","created":1360782804}}"#,
    ) else {
        panic!("group_rename")
    };
    assert_eq!(e.channel.name.as_deref(), Some("new_name"));
    let open = r#"{"type":"group_open","user":"U024BE7LH","channel":"G024BE91L"}"#;
    let TypedEvent::GroupOpen(ConversationOpenClose { user, channel, .. }) = typed(open) else {
        panic!("group_open")
    };
    assert_eq!(
        (user.as_deref(), channel.as_str()),
        (Some("U024BE7LH"), "G024BE91L")
    );
    let close = r#"{"type":"group_close","user":"U024BE7LH","channel":"G024BE91L"}"#;
    assert!(matches!(typed(close), TypedEvent::GroupClose(_)));
    let TypedEvent::GroupHistoryChanged(HistoryChanged { latest, .. }) = typed(
        r#"{"type":"group_history_changed","latest":"1358877455.000010","ts":"1361482916.000003","event_ts":"1361482916.000004"}"#,
    ) else {
        panic!("group_history_changed")
    };
    assert_eq!(latest.as_deref(), Some("1358877455.000010"));
    let TypedEvent::GroupMarked(Marked { channel, ts, .. }) =
        typed(r#"{"type":"group_marked","channel":"G024BE91L","ts":"1401383885.000061"}"#)
    else {
        panic!("group_marked")
    };
    assert_eq!(
        (channel.as_str(), ts.as_str()),
        ("G024BE91L", "1401383885.000061")
    );
}

#[test]
fn im_and_mpim_events() {
    let TypedEvent::ImCreated(ImCreated { user, channel, .. }) = typed(
        r#"{"type":"im_created","user":"U024BE7LH","channel":{"id":"D024BE91L","is_im":true,"user":"U123BCD","created":1360782804}}"#,
    ) else {
        panic!("im_created")
    };
    assert_eq!(
        (user.as_str(), channel.id.as_str()),
        ("U024BE7LH", "D024BE91L")
    );
    let open = typed(r#"{"type":"im_open","user":"U024BE7LH","channel":"D024BE91L"}"#);
    let TypedEvent::ImOpen(e) = open else {
        panic!("im_open")
    };
    assert_eq!(e.channel, "D024BE91L");
    let close = r#"{"type":"im_close","user":"U024BE7LH","channel":"D024BE91L"}"#;
    assert!(matches!(typed(close), TypedEvent::ImClose(_)));
    let changed = r#"{"type":"im_history_changed","latest":"1358877455.000010","ts":"1361482916.000003","event_ts":"1361482916.000004"}"#;
    assert!(matches!(typed(changed), TypedEvent::ImHistoryChanged(_)));
    let marked = r#"{"type":"im_marked","channel":"D024BE91L","ts":"1401383885.000061"}"#;
    assert!(matches!(typed(marked), TypedEvent::ImMarked(m) if m.ts == "1401383885.000061"));

    let TypedEvent::MpimJoined(e) = typed(
        r#"{"type":"mpim_joined","channel":{"id":"G024BE91L","name":"mpdm-a--b--c-1","is_mpim":true,"created":1360782804,"creator":"U024BE7LH"}}"#,
    ) else {
        panic!("mpim_joined")
    };
    assert_eq!(e.channel.creator.as_deref(), Some("U024BE7LH"));
    let open = r#"{"type":"mpim_open","user":"U024BE7LH","channel":"G024BE91L"}"#;
    assert!(matches!(typed(open), TypedEvent::MpimOpen(_)));
    let close = r#"{"type":"mpim_close","user":"U024BE7LH","channel":"G024BE91L"}"#;
    assert!(matches!(typed(close), TypedEvent::MpimClose(_)));
    let changed = r#"{"type":"mpim_history_changed","latest":"1358877455.000010","ts":"1361482916.000003","event_ts":"1361482916.000004"}"#;
    assert!(matches!(typed(changed), TypedEvent::MpimHistoryChanged(_)));
}

#[test]
fn manual_presence_change() {
    let frame = r#"{"type":"manual_presence_change","presence":"away"}"#;
    let TypedEvent::ManualPresenceChange(ManualPresenceChange { presence, .. }) = typed(frame)
    else {
        panic!("manual_presence_change")
    };
    assert_eq!(presence, "away");
}

#[test]
fn pins_and_stars() {
    let TypedEvent::PinAdded(Pin {
        user,
        channel_id,
        item,
        ..
    }) = typed(
        r#"{"type":"pin_added","user":"U024BE7LH","channel_id":"C02ELGNBH",
        "item":{"type":"message","channel":"C02ELGNBH","created":1360782804,"created_by":"U024BE7LH",
        "message":{"type":"message","text":"pin me","user":"U024BE7LH","ts":"1360782400.498405"}},
        "event_ts":"1360782804.083113"}"#,
    )
    else {
        panic!("pin_added")
    };
    assert_eq!(
        (user.as_str(), channel_id.as_str()),
        ("U024BE7LH", "C02ELGNBH")
    );
    assert_eq!(item.kind, "message");
    assert_eq!(item.created_by.as_deref(), Some("U024BE7LH"));
    assert_eq!(item.message.as_ref().unwrap()["text"], "pin me");
    let TypedEvent::PinRemoved(pin) = typed(
        r#"{"type":"pin_removed","user":"U024BE7LH","channel_id":"C02ELGNBH",
        "item":{"type":"file","file":{"id":"F12345678"}},"has_pins":false,"event_ts":"1360782804.083113"}"#,
    ) else {
        panic!("pin_removed")
    };
    assert_eq!(pin.has_pins, Some(false));
    assert_eq!(pin.item.file.unwrap()["id"], "F12345678");

    let TypedEvent::StarAdded(Star {
        user,
        item,
        event_ts,
        ..
    }) = typed(
        r#"{"type":"star_added","user":"U024BE7LH",
        "item":{"type":"message","channel":"C2147483705","message":{"type":"message","text":"x","ts":"1360782400.498405"}},
        "event_ts":"1360782804.083113"}"#,
    )
    else {
        panic!("star_added")
    };
    assert_eq!(user, "U024BE7LH");
    assert_eq!(item.channel.as_deref(), Some("C2147483705"));
    assert_eq!(event_ts.as_deref(), Some("1360782804.083113"));
    let removed = r#"{"type":"star_removed","user":"U024BE7LH","item":{"type":"channel","channel":"C2147483705"},"event_ts":"1360782804.083113"}"#;
    assert!(matches!(typed(removed), TypedEvent::StarRemoved(s) if s.item.kind == "channel"));
}

#[test]
fn file_events() {
    let TypedEvent::FileShared(FileEvent {
        file_id,
        file,
        user_id,
        channel_id,
        ..
    }) = typed(
        r#"{"type":"file_shared","channel_id":"C1234467","file_id":"F2147483862","user_id":"U2147483697",
        "file":{"id":"F2147483862"},"event_ts":"1121224400.000000"}"#,
    )
    else {
        panic!("file_shared")
    };
    assert_eq!(file_id, "F2147483862");
    assert_eq!(file.unwrap().id, "F2147483862");
    assert_eq!(user_id.as_deref(), Some("U2147483697"));
    assert_eq!(channel_id.as_deref(), Some("C1234467"));
    for kind in [
        "file_created",
        "file_unshared",
        "file_public",
        "file_deleted",
        "file_change",
    ] {
        let frame = format!(
            r#"{{"type":"{kind}","file_id":"F2147483862","file":{{"id":"F2147483862"}},"event_ts":"1361482916.000004"}}"#
        );
        let e = match typed(&frame) {
            TypedEvent::FileCreated(e)
            | TypedEvent::FileUnshared(e)
            | TypedEvent::FilePublic(e)
            | TypedEvent::FileDeleted(e)
            | TypedEvent::FileChange(e) => e,
            other => panic!("{kind}: {other:?}"),
        };
        assert_eq!(e.file_id, "F2147483862", "{kind}");
    }
    // file_deleted as Slack sends it: no `file` object.
    let deleted =
        r#"{"type":"file_deleted","file_id":"F2147483862","event_ts":"1361482916.000004"}"#;
    assert!(matches!(typed(deleted), TypedEvent::FileDeleted(e) if e.file.is_none()));

    let TypedEvent::FileCommentAdded(FileComment {
        comment, file_id, ..
    }) = typed(
        r#"{"type":"file_comment_added","comment":{"id":"Fc1234","created":1356032811,"timestamp":1356032811,
        "user":"U1234","comment":"Everyone should take a moment to read this file."},
        "file_id":"F1234","file":{"id":"F1234"}}"#,
    )
    else {
        panic!("file_comment_added")
    };
    assert_eq!(file_id, "F1234");
    assert_eq!(comment["id"], "Fc1234");
    let edited = r#"{"type":"file_comment_edited","comment":{"id":"Fc1234","comment":"edited"},"file_id":"F1234","file":{"id":"F1234"}}"#;
    assert!(
        matches!(typed(edited), TypedEvent::FileCommentEdited(c) if c.comment["comment"] == "edited")
    );
    let deleted = r#"{"type":"file_comment_deleted","comment":"Fc67890","file_id":"F1234","file":{"id":"F1234"}}"#;
    assert!(matches!(typed(deleted), TypedEvent::FileCommentDeleted(c) if c.comment == "Fc67890"));
}

#[test]
fn dnd_events() {
    let TypedEvent::DndUpdated(DndUpdated {
        user, dnd_status, ..
    }) = typed(
        r#"{"type":"dnd_updated","user":"U1234","dnd_status":{"dnd_enabled":true,
        "next_dnd_start_ts":1450387800,"next_dnd_end_ts":1450423800,"snooze_enabled":true,
        "snooze_endtime":1450373897}}"#,
    )
    else {
        panic!("dnd_updated")
    };
    assert_eq!(user, "U1234");
    assert!(dnd_status.dnd_enabled);
    assert_eq!(dnd_status.next_dnd_end_ts, Some(1450423800));
    assert_eq!(dnd_status.snooze_enabled, Some(true));
    assert_eq!(dnd_status.snooze_endtime, Some(1450373897));
    let TypedEvent::DndUpdatedUser(e) = typed(
        r#"{"type":"dnd_updated_user","user":"U1234","dnd_status":{"dnd_enabled":true,
        "next_dnd_start_ts":1450387800,"next_dnd_end_ts":1450423800}}"#,
    ) else {
        panic!("dnd_updated_user")
    };
    assert_eq!(e.dnd_status.next_dnd_start_ts, Some(1450387800));
    assert_eq!(e.dnd_status.snooze_enabled, None);
}

#[test]
fn emoji_changed_add_remove_rename() {
    let TypedEvent::EmojiChanged(EmojiChanged {
        subtype,
        name,
        value,
        ..
    }) = typed(
        r#"{"type":"emoji_changed","subtype":"add","name":"picard_facepalm",
        "value":"https://my.slack.com/emoji/picard_facepalm/db8e287430eaa459.gif","event_ts":"1361482916.000004"}"#,
    )
    else {
        panic!("emoji_changed add")
    };
    assert_eq!(subtype.as_deref(), Some("add"));
    assert_eq!(name.as_deref(), Some("picard_facepalm"));
    assert!(value.unwrap().ends_with(".gif"));
    let TypedEvent::EmojiChanged(removed) = typed(
        r#"{"type":"emoji_changed","subtype":"remove","names":["picard_facepalm"],"event_ts":"1361482916.000004"}"#,
    ) else {
        panic!("emoji_changed remove")
    };
    assert_eq!(removed.names, ["picard_facepalm"]);
    let TypedEvent::EmojiChanged(renamed) = typed(
        r#"{"type":"emoji_changed","subtype":"rename","old_name":"picard_facepalm","new_name":"captain_picard_facepalm",
        "value":"https://my.slack.com/emoji/picard_facepalm/db8e287430eaa459.gif","event_ts":"1361482916.000004"}"#,
    ) else {
        panic!("emoji_changed rename")
    };
    assert_eq!(
        (renamed.old_name.as_deref(), renamed.new_name.as_deref()),
        (Some("picard_facepalm"), Some("captain_picard_facepalm"))
    );
}

#[test]
fn bot_added_and_changed() {
    let TypedEvent::BotAdded(BotEvent { bot, .. }) = typed(
        r#"{"type":"bot_added","bot":{"id":"B024BE7LH","app_id":"A4H1JB4AZ","name":"hugbot",
        "icons":{"image_48":"https://slack.com/path/to/hugbot_48.png"}}}"#,
    ) else {
        panic!("bot_added")
    };
    assert_eq!(bot.id, "B024BE7LH");
    assert_eq!(bot.app_id.as_deref(), Some("A4H1JB4AZ"));
    assert_eq!(
        bot.icons.unwrap()["image_48"],
        "https://slack.com/path/to/hugbot_48.png"
    );
    let changed =
        r#"{"type":"bot_changed","bot":{"id":"B024BE7LH","app_id":"A4H1JB4AZ","name":"hugbot"}}"#;
    assert!(
        matches!(typed(changed), TypedEvent::BotChanged(b) if b.bot.name.as_deref() == Some("hugbot"))
    );
}

#[test]
fn team_migration_started_and_reconnect_url() {
    assert_eq!(
        typed(r#"{"type":"team_migration_started"}"#),
        TypedEvent::TeamMigrationStarted
    );
    let TypedEvent::ReconnectUrl(ReconnectUrl { url, .. }) =
        typed(r#"{"type":"reconnect_url","url":"wss://wss-primary.slack.com/websocket/AbCdEf"}"#)
    else {
        panic!("reconnect_url")
    };
    assert_eq!(url, "wss://wss-primary.slack.com/websocket/AbCdEf");
}

#[test]
fn app_mention_as_the_events_api_sends_it() {
    let TypedEvent::AppMention(AppMention {
        user,
        text,
        ts,
        channel,
        thread_ts,
        blocks,
        ..
    }) = typed(
        r#"{"type":"app_mention","user":"U061F7AUR","text":"<@U0LAN0Z89> is it everything a river should be?",
            "ts":"1515449522.000016","channel":"C123ABC456","event_ts":"1515449522000016",
            "thread_ts":"1515449500.000001","team":"T061EG9R6",
            "blocks":[{"type":"rich_text","block_id":"x","elements":[]}]}"#,
    )
    else {
        panic!("app_mention")
    };
    assert_eq!(user.as_deref(), Some("U061F7AUR"));
    assert!(text.starts_with("<@U0LAN0Z89>"));
    assert_eq!(
        (ts.as_str(), channel.as_str()),
        ("1515449522.000016", "C123ABC456")
    );
    assert_eq!(thread_ts.as_deref(), Some("1515449500.000001"));
    assert_eq!(blocks.len(), 1);
}

#[test]
fn a_known_type_with_a_wrong_shape_is_an_error_not_other() {
    let e = SlackEvent::from_json(r#"{"type":"pin_added","user":"U1"}"#).unwrap();
    assert!(e.typed().is_err(), "item and channel_id are required");
    let unknown = SlackEvent::from_json(r#"{"type":"huddle_thing","x":1}"#).unwrap();
    assert_eq!(unknown.typed().unwrap(), TypedEvent::Other);
}
