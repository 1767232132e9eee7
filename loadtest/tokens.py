"""`python -m loadtest.tokens NAME USER...`: `approvals token create USER --name NAME` for every user, in one
interpreter (fifty separate commands would spend a minute starting Python). Prints {user: secret} as JSON."""
from __future__ import annotations

import contextlib
import io
import json
import sys


def main(argv: list[str]) -> int:
    from web.cli import main as approvals

    name, users = argv[0], argv[1:]
    secrets = {}
    for user in users:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = approvals(["--json", "token", "create", user, "--name", name])
        answer = json.loads(out.getvalue().strip().splitlines()[-1])
        if code != 0 or not answer.get("ok"):
            print(f"approvals token create {user}: {answer.get('reason')}", file=sys.stderr)
            return 1
        secrets[user] = answer["secret"]
    print(json.dumps(secrets))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
