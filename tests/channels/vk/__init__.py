"""Tests of the VK Callback API channel adapter."""
