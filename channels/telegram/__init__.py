"""Telegram bots in webhook mode: Bot API updates posted to /hooks/telegram/{bot_name}.

Nothing to set up or tear down: the webhook needs no long-lived resource, and the adapter
never calls the Bot API (no downloads, no replies).
"""
