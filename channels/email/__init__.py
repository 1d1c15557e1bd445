"""E-mail: raw RFC 822 messages (from an IMAP mailbox, later) parsed into leads or skipped.

This first slice is parsing only (`parse.parse_message`); nothing connects at import.
"""
