"""The `provisioner` program ends at once once its output is out (cli/ending.py): exit
codes as `sys.exit` gives them, every byte of output flushed, exit handlers run, and a
thread still running waited for; only the freeing of what the command built is skipped."""

from __future__ import annotations

import json
import subprocess
import sys

from ..conftest import TODAY


def program(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "provisioner", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_exit_codes_and_every_byte_of_output(make_org, tmp_path):
    org, plan = make_org(), tmp_path / "plan.json"
    state = f"sqlite:///{tmp_path / 's.db'}"
    made = program("plan", org, "--state", state, "--today", TODAY.isoformat(), "--out", plan, "--detailed-exitcode")
    assert made.returncode == 2, made.stderr
    assert made.stdout.rstrip().endswith(f"provisioner apply {plan}")
    shown = program("show", plan, "--format", "json")
    assert shown.returncode == 0 and json.loads(shown.stdout) == json.loads(plan.read_text())
    wrong = program("validate", tmp_path / "nowhere")
    assert wrong.returncode == 1 and "LOAD001" in wrong.stdout + wrong.stderr
    assert program("frobnicate").returncode == 2  # a usage error, as click says it


def test_exit_handlers_run_and_a_message_is_printed_as_sys_exit_prints_it():
    done = python("import atexit; atexit.register(lambda: print('handler ran', flush=True)); "
                  "from provisioner.cli.ending import end_now; print('out', end=''); end_now(3)")
    assert (done.returncode, done.stdout) == (3, "outhandler ran\n")
    said = python("from provisioner.cli.ending import end_now; end_now('error: no such plan')")
    assert (said.returncode, said.stderr) == (1, "error: no such plan\n")
    assert python("from provisioner.cli.ending import end_now; end_now(None)").returncode == 0


def test_a_thread_still_running_is_waited_for():
    done = python("import threading, time\n"
                  "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', flush=True))).start()\n"
                  "from provisioner.cli.ending import end_now\nend_now(4)")
    assert (done.returncode, done.stdout) == (4, "thread done\n")


def test_a_profiler_or_debugger_gets_control_back():
    """`python -m cProfile -m provisioner …` writes its profile: under a profiler or a
    tracer the interpreter's own exit is taken."""
    for hook in ("sys.setprofile", "sys.settrace"):
        done = python(f"import sys\n{hook}(lambda *a: None)\nfrom provisioner.cli.ending import end_now\n"
                      "try:\n    end_now(5)\nexcept SystemExit as exc:\n    print('back', exc.code)")
        assert done.stdout == "back 5\n", (hook, done.stdout, done.stderr)
