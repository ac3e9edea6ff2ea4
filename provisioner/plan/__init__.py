"""Plan and apply, Terraform-style: compare the desired org with the applied state,
produce an ordered list of changes as plain data, save it, render it, apply it."""

from .apply import DEFAULT_LOCK_TIMEOUT, apply_document  # noqa: F401
from .changes import Action, Change  # noqa: F401
from .compare import compare  # noqa: F401
from .planfile import PlanFileError, config_digest, read_plan, write_plan  # noqa: F401
from .planner import PlanResult, make_plan, plan_changes  # noqa: F401
