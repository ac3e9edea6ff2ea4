"""`python -m provisioner` and the `provisioner` script: run the command line, answering an
interrupt that comes while the program is still loading with one line, not a traceback."""

import os
import signal
import sys


def _interrupted_early(signum, frame):  # Ctrl-C or SIGTERM while the program is still loading
    sys.stderr.write("error: interrupted while starting; nothing was changed\n")
    os._exit(128 + signum)


def run() -> None:
    signal.signal(signal.SIGINT, _interrupted_early)
    signal.signal(signal.SIGTERM, _interrupted_early)
    from .cli import main
    from .cli.ending import end_now, run_command

    signal.signal(signal.SIGINT, signal.default_int_handler)
    code, kept = run_command(main)  # noqa: F841  (`kept` holds what the command built until the end)
    end_now(code)


if __name__ == "__main__":
    run()
