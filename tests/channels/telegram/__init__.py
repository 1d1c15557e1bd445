"""Tests of the telegram channel adapter."""
