"""``python -m worktime_moto -H 127.0.0.1 -p PORT``: moto server with worktime's AWS model."""

import sys

from worktime_moto import main

main(sys.argv[1:])
