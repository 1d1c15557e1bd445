"""E-mail: raw RFC 822 messages from an IMAP mailbox parsed into leads or skipped.

`parse.parse_message` turns a message into a lead or a reason to skip it; `imap.ImapFolder`
reads a folder by UID (the service's poller is intake/email_polling.py). Nothing connects at
import.
"""
