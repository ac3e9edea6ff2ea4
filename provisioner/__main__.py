"""`python -m provisioner` runs the command line."""

import os
import signal
import sys


def _interrupted_early(signum, frame):  # Ctrl-C or SIGTERM while the program is still loading
    sys.stderr.write("error: interrupted while starting; nothing was changed\n")
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _interrupted_early)
signal.signal(signal.SIGTERM, _interrupted_early)
from .cli import main  # noqa: E402

signal.signal(signal.SIGINT, signal.default_int_handler)
main()
