"""Typed request and response bodies of the HTTP API: one module per area.

These pydantic models are the single definition of every body the API documents; the OpenAPI
document (`intake/http/openapi.py`) generates its component schemas from them, and the test
suite validates every response the e2e tests receive against that document.
"""
