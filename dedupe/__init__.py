"""Duplicate detection: normalizers, candidate retrieval, scoring and explained decisions."""
