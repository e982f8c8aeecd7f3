"""The concierge's alembic history (its bookings table); run by `chorus migrate`."""
