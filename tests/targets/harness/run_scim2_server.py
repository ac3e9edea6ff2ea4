"""Run the `scim2-server` command with its usual arguments, and exit as soon as the process
that started it is gone (a killed test run leaves no server behind)."""

import os
import sys
import threading
import time

from scim2_server.testserver.cli import main


def exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


if __name__ == "__main__":
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    sys.argv[0] = "scim2-server"
    main()
