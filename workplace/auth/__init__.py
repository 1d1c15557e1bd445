"""Signing managers in to the web workplace: passwords, sessions, CSRF."""
