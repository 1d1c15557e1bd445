"""Telephony: one provider-neutral call event (model.py), one adapter package per provider."""
