"""Where people work: the managers' web pages (and, later, their Telegram bot)."""
