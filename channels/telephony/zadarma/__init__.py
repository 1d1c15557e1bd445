"""Zadarma and Novofon PBX notifications: POST /hooks/telephony/{zadarma,novofon}.

Novofon (Zadarma's Russian platform) sends the same events with the same signature, so one
adapter serves both under the provider name the URL gives. Nothing to set up or tear down:
the PBX pushes each event, the adapter is pure, and intake/http/telephony_hooks.py stores
accepted events in the inbox before answering 200 (and answers the `zd_echo` URL check).
"""
