"""Avito Messenger: webhook v3 `message` events posted to /hooks/avito/{account}.

Nothing to set up or tear down: Avito pushes every event to us, the adapter is pure, and the
shell's generic webhook route (intake/http/webhook.py) stores accepted events in the inbox
before answering. The spec (channels/avito/spec) declares the route, the settings section and
the identity kind.
"""
