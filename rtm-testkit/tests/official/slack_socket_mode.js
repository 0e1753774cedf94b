#!/usr/bin/env node
// Slack's official Node Socket Mode client (@slack/socket-mode) against the mock: it opens a
// connection through apps.connections.open (slackApiUrl = the mock's API URL), acks an
// events_api envelope, and answers a slash command with a response payload in its ack.
//
// Environment: MOCK_SLACK_API_URL, MOCK_SLACK_APP_TOKEN. Prints READY once the client is
// connected (after hello), then `ACKED <type> <envelope_id> ...` per envelope, and exits 0
// once both kinds were acked (1 on timeout). Run by tests/official_clients.rs.
'use strict';
const { SocketModeClient } = require('@slack/socket-mode');

const TIMEOUT_MS = 20000;
const client = new SocketModeClient({
  appToken: process.env.MOCK_SLACK_APP_TOKEN,
  clientOptions: { slackApiUrl: process.env.MOCK_SLACK_API_URL },
  // A reconnect loop would hide a refused connection from the test.
  autoReconnectEnabled: false,
  logLevel: 'error',
});
const seen = new Set();
const timer = setTimeout(() => {
  console.error('TIMEOUT waiting for envelopes');
  process.exit(1);
}, TIMEOUT_MS);

async function done(kind) {
  seen.add(kind);
  if (seen.has('events_api') && seen.has('slash_commands')) {
    clearTimeout(timer);
    await client.disconnect();
    process.exit(0);
  }
}

client.on('connected', () => console.log('READY'));
client.on('message', async ({ ack, envelope_id, event }) => {
  await ack();
  console.log(`ACKED events_api ${envelope_id} ${event.type} ${event.text}`);
  await done('events_api');
});
client.on('slash_commands', async ({ ack, envelope_id, body }) => {
  await ack({ text: `pong ${body.text}` });
  console.log(`ACKED slash_commands ${envelope_id}`);
  await done('slash_commands');
});

client.start().catch((e) => {
  console.error(`start failed: ${e}`);
  process.exit(1);
});
