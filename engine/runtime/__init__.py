"""Running instances: engine steps, the sandbox, service operators, events, timers, the inbox projection."""
