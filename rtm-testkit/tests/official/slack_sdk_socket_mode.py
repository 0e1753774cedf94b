#!/usr/bin/env python3
"""Slack's official Python Socket Mode client (slack_sdk's builtin SocketModeClient) against
the mock: it opens a connection through apps.connections.open (the WebClient's base_url is the
mock's API URL), acks an events_api envelope, and answers a slash command with a response
payload in its ack.

Environment: MOCK_SLACK_API_URL (e.g. http://127.0.0.1:PORT/api/), MOCK_SLACK_APP_TOKEN.
Prints READY once connected, then one line per envelope handled
(`ACKED <type> <envelope_id>`), and exits 0 once both kinds were acked (1 on timeout).
Run by tests/official_clients.rs; can be run by hand against `mock-slack` too.
"""
import os
import sys
import threading

from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web import WebClient

TIMEOUT_SECS = 20


def main() -> int:
    api_url = os.environ["MOCK_SLACK_API_URL"]
    app_token = os.environ["MOCK_SLACK_APP_TOKEN"]
    seen = {"events_api": threading.Event(), "slash_commands": threading.Event()}

    client = SocketModeClient(
        app_token=app_token,
        web_client=WebClient(base_url=api_url),
        # A reconnect loop would hide a refused connection from the test.
        auto_reconnect_enabled=False,
    )

    def on_request(c: SocketModeClient, req: SocketModeRequest) -> None:
        if req.type == "events_api":
            c.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            event = req.payload.get("event", {})
            print(f"ACKED events_api {req.envelope_id} {event.get('type')} {event.get('text')}", flush=True)
        elif req.type == "slash_commands":
            text = req.payload.get("text", "")
            c.send_socket_mode_response(
                SocketModeResponse(envelope_id=req.envelope_id, payload={"text": f"pong {text}"})
            )
            print(f"ACKED slash_commands {req.envelope_id}", flush=True)
        else:
            return
        seen[req.type].set()

    client.socket_mode_request_listeners.append(on_request)
    client.connect()
    print("READY", flush=True)
    ok = all(e.wait(TIMEOUT_SECS) for e in seen.values())
    client.close()
    if not ok:
        print("TIMEOUT waiting for envelopes", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
