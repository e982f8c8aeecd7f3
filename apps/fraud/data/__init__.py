"""Shipped data of the fraud application (the synthetic generator's configuration)."""
