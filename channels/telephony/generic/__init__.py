"""Generic signed call webhook: POST /hooks/telephony/generic/{source} for any PBX or tracker.

The body is one call event as JSON (schema.json, documented in the README); the sender signs
`timestamp + "." + body` with HMAC-SHA256 and a per-source secret. Nothing to set up or tear
down: the adapter is pure and intake/http/telephony_hooks.py stores accepted events before
answering 200.
"""
