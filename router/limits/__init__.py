"""Request and operation limits, checked before planning."""
