"""Files people attach to requests: where their bytes live (store.py), what kinds are accepted and how a
file's kind is told from its content (kinds.py), and the limits an operator sets (limits.py)."""
