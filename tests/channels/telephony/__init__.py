"""Tests of the telephony channel adapters."""
