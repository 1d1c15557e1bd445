"""Typed request and response bodies of the HTTP API: one module per area.

These pydantic models are the single definition of every body the API documents; the OpenAPI
document (`intake/http/openapi.py`) generates its component schemas from them, the JSON
request models validate every request of their routes before the handler runs
(`intake/http/request_validation.py`), and the test suite validates every response the e2e
tests receive against that document.
"""
