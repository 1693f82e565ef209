"""Drop-in for ``moto_server`` (same flags) with worktime's AWS model installed:

    .venv/bin/python tests/aws_model/worktime_moto_server.py -H 127.0.0.1 -p PORT

This file's directory is on ``sys.path`` when it runs, so the package beside it imports.
"""

import sys

from worktime_moto import main

if __name__ == "__main__":
    main(sys.argv[1:])
