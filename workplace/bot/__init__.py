"""The managers' Telegram bot (aiogram 3): linking a login, the new-lead card's buttons.

One Router per feature (`linking`, `lead_card`); `setup` wires the Bot, the Dispatcher, the
webhook route and the polling task into the service's app.
"""
