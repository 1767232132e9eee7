"""The demo organisation: users for every role and instances in flight in every procedure."""
