"""`make loadtest`: the production server (`approvals serve`) under concurrent users, with failures injected.

For each database (SQLite, then a private PostgreSQL server) the run
- sets up from nothing with the operator's commands: `approvals db upgrade`, `users import` of a generated
  users file, `deploy` of the two-step approval in tests/data, `token create` for every user, `serve`;
- runs N virtual users for S seconds against the JSON API with personal access tokens: each starts
  requests and completes the approvals it is responsible for (`users.py`);
- in the middle kills a web process and the worker process with SIGKILL and restarts PostgreSQL
  (`chaos.py`); the users retry what a kill cuts off, and those retries are counted apart from errors;
- afterwards checks the database (`consistency.py`): every completion the server acknowledged is there
  and in the audit trail, each instance's inbox rows agree with its state, and `approvals audit verify`
  passes;
- prints throughput, latency and errors (`figures.py`) and exits non-zero on any lost completion, hard
  error or failed check.
"""
