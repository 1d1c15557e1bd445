"""Outbound webhooks: subscriptions, signing (Standard Webhooks), and the background sender."""
