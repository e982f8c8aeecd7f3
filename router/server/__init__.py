"""The router process: the app factory, the entry point, the server protocol, heap tuning."""
