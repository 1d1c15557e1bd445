"""Mango Office VPBX: events posted to /hooks/telephony/mango/events/{call,summary,recording}.

Nothing to set up or tear down: the VPBX pushes every event (form fields `vpbx_api_key`,
`sign`, `json`), the adapter is pure, and intake/http/telephony_hooks.py stores accepted events
in the inbox before answering 200.
"""
