"""Frozen records that are quick to build.

The model, effective access, the resources and the documents of a large org are millions of
small frozen dataclasses (a 100,000-person plan builds some two million). A frozen
dataclass's own `__init__` stores each field through `object.__setattr__`, a global and an
attribute lookup and a call per field, because its class refuses `setattr`. `quick(cls)`
gives a frozen dataclass with slots an `__init__` that stores each field through its slot's
own descriptor instead: the same signature, defaults and instances, built in about half the
time. The class stays frozen: assigning to a field still raises `FrozenInstanceError`.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

T = TypeVar("T", bound=type)
_MISSING = object()  # a default_factory field left out by the caller
QUICK: list[type] = []  # every class given a quick `__init__` (tests compare each with its dataclass's own)


def quick(cls: T) -> T:
    """Decorate a `@dataclass(frozen=True, slots=True)` class (above the dataclass decorator)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"quick(): {cls.__name__} is not a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"quick(): {cls.__name__} has a __post_init__, which the quick __init__ would skip")
    positional, keyword, body = [], [], []
    env: dict[str, object] = {"_MISSING": _MISSING}
    for f in dataclasses.fields(cls):
        if not f.init:
            raise TypeError(f"quick(): {cls.__name__}.{f.name} is not set by __init__")
        name = f.name
        if f.default is not dataclasses.MISSING:
            env[f"_d_{name}"] = f.default
            param = f"{name}=_d_{name}"
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_f_{name}"] = f.default_factory
            param = f"{name}=_MISSING"
            body.append(f"    if {name} is _MISSING: {name} = _f_{name}()")
        else:
            param = name
        (keyword if f.kw_only else positional).append(param)
        env[f"_s_{name}"] = cls.__dict__[name].__set__  # the slot's member descriptor
        body.append(f"    _s_{name}(self, {name})")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({signature}):\n" + ("\n".join(body) if body else "    pass") + "\n"
    namespace: dict[str, object] = {}
    exec(source, env, namespace)  # noqa: S102 - the text is built above from field names only
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(getattr(cls.__init__, "__annotations__", {}))
    cls.__init__ = init
    QUICK.append(cls)
    return cls
