"""Example plugins: small, documented, tested; copy one to start your own."""
