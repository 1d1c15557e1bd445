"""E-mail channel names: reasons a message is not a lead, header and text markers, limits."""

from __future__ import annotations

import re

CHANNEL = "email"

# Why a message did not become a lead (NotALead.reason); logged and counted, never stored.
NOT_A_LEAD_AUTO_REPLY = "auto_reply"  # out-of-office, vacation, autoresponders
NOT_A_LEAD_BOUNCE = "bounce"  # delivery status notifications, MAILER-DAEMON, postmaster
NOT_A_LEAD_MAILING_LIST = "mailing_list"  # List-Id: traffic of a discussion list
NOT_A_LEAD_BULK = "bulk"  # Precedence: bulk/list/junk, List-Unsubscribe newsletters
NOT_A_LEAD_SERVICE = "service_mail"  # a provider's or shop's own marketing/onboarding mail
NOT_A_LEAD_SPAM = "spam"  # a spam verdict header, or HTML-only mail carrying an archive
NOT_A_LEAD_NO_SENDER = "no_sender"  # no usable From address: nobody to answer
NOT_A_LEAD_NO_REPLY = "no_reply_sender"  # from a no-reply address with no usable Reply-To
NOT_A_LEAD_UNREADABLE = "unreadable"  # nothing usable could be read at all

# The comment keeps the request, not the whole thread: cut after this many characters.
MAX_COMMENT_CHARS = 4000
# Forwarded messages nest; deeper ones are not read.
MAX_NESTING = 5

# Local parts of automated senders (compared lower-case, dots/dashes/underscores removed).
NO_REPLY_LOCALS = frozenset({"noreply", "donotreply", "noanswer"})
BOUNCE_LOCALS = frozenset({"mailerdaemon", "postmaster"})
# Role accounts that send newsletters and onboarding mail; alone they prove nothing
# (hello@ a small company is a person), so they count only together with marketing traits.
ROLE_LOCALS = frozenset(
    {"hello", "welcome", "news", "newsletter", "announcements", "promo", "marketing", "info"}
)

AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto reply|autoreply|auto-reply|autorespons\w*|out of office"
    r"|abwesenheitsnotiz|автоответ|автоматический ответ|\[automatyczna odpowied)"
    r"|\(automatic response\)\s*$|\bout of (?:the )?office\b",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|mail delivery failed"
    r"|не доставлено|недоставленное",
    re.IGNORECASE,
)
# Archives and executables: a classic payload of HTML-only phishing.
RISKY_ATTACHMENT = re.compile(
    r"\.(?:zip|rar|7z|exe|scr|js|vbs|bat|cmd|jar|iso|lnk)$", re.IGNORECASE
)
