"""Replies to clients: the dispatcher that sends the outgoing messages and its wiring."""
