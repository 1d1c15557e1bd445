"""Website forms (Tilda, WordPress, custom sites) posted to /api/v1/forms/{form_key}."""
