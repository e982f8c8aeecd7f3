"""Production-mode defences: CSRF, CORS, introspection, error redaction, codes."""
