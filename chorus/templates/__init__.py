"""File templates for `chorus new` (string.Template, `${placeholder}` syntax)."""
