"""Asterisk on-premise PBXs: the Asterisk Manager Interface (AMI, TCP 5038) as a call source.

`ami.py` keeps one logged-in AMI connection and hands over its events as dicts; `adapter.py`
maps one AMI event to at most one provider-neutral `CallEvent`, without state between events,
so an event repeated or out of order still gives the same inbox row. The connection, its
reconnects and the storing live in intake/asterisk_client.py.
"""
