"""The sales domain: leads, contacts, companies, managers, and their storage."""
