"""Avito Messenger names: the channel, the webhook's token parameter, reasons to ignore."""

from __future__ import annotations

CHANNEL = "avito"
# The person's Avito user id, as PersonDetails.messenger_ids carries it.
IDENTITY_KIND = "avito_id"
# Avito does not sign webhooks: the URL carries a secret of ours. Named "token" so the
# log filter masks it in access lines (intake/log_secrets.py).
TOKEN_PARAM = "token"  # noqa: S105 - a parameter name, not a secret
ACCOUNT_PARAM = "account"

# payload.type of a new message; other types (a read mark, ...) are acknowledged and dropped.
MESSAGE_EVENT = "message"
# payload.value.type of Avito's own notices in a chat (a deal status, a call note).
SYSTEM_MESSAGE = "system"
# Message types whose content is text the person wrote.
TEXT_TYPES = frozenset({"text"})

IGNORED_EVENT_TYPE = "event_type"
IGNORED_OWN_MESSAGE = "own_message"
IGNORED_SYSTEM = "system_message"
