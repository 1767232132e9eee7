"""Benchmarks: engine against raw SpiffWorkflow, measured in one run and printed as ratios."""
