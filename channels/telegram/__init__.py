"""Telegram bots: updates by webhook (POST /hooks/telegram/{bot_name}) or by long polling.

The adapter parses the Bot API's update JSON; `polling.py` is the getUpdates client used by
bots configured with `mode = "polling"`. Replies to customers ride on the webhook answer.
"""
