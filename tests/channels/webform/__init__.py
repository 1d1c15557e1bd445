"""Tests of the website-form channel adapter."""
