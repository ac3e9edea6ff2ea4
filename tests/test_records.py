"""records.quick: a frozen dataclass's quick __init__ takes the same arguments and builds the
same instance as the dataclass's own, and the class stays frozen."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import provisioner.cli  # noqa: F401  (imports every module, so every quick class is registered)
from provisioner.records import QUICK, quick


def _twin(cls: type) -> type:
    """The same fields in a plain frozen dataclass with slots: the dataclass's own __init__."""
    specs = []
    for f in dataclasses.fields(cls):
        kwargs = {"kw_only": f.kw_only}
        if f.default is not dataclasses.MISSING:
            kwargs["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            kwargs["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**kwargs)))
    return dataclasses.make_dataclass(f"Twin{cls.__name__}", specs, frozen=True, slots=True)


def _values(obj) -> tuple:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))


def _shape(cls: type) -> list[tuple]:
    return [(p.name, p.kind, p.default is inspect.Parameter.empty)
            for p in inspect.signature(cls).parameters.values()]


def test_the_hot_records_are_quick():
    names = {cls.__name__ for cls in QUICK}
    assert {"Person", "Profile", "Resource", "Document", "PersonAccess", "ProfileAccess", "ScopeGrant"} <= names


@pytest.mark.parametrize("cls", QUICK, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_a_quick_class_takes_and_builds_what_its_dataclass_does(cls):
    twin = _twin(cls)
    assert _shape(cls) == _shape(twin)
    fields = dataclasses.fields(cls)
    given = {f.name: object() for f in fields}  # one distinct value per field, every field given
    built = cls(**given)
    assert _values(built) == _values(twin(**given)) == tuple(given.values())
    positional = [given[f.name] for f in fields if not f.kw_only]
    keyword = {f.name: given[f.name] for f in fields if f.kw_only}
    assert _values(cls(*positional, **keyword)) == _values(built)
    required = {f.name: given[f.name] for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert _values(cls(**required)) == _values(twin(**required))  # defaults and factories alike
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, fields[0].name, None)
    with pytest.raises(TypeError):
        cls(**given, not_a_field=1)
    if required:
        with pytest.raises(TypeError):
            cls()


def test_quick_handles_factories_and_keyword_only_fields():
    @quick
    @dataclasses.dataclass(frozen=True, slots=True)
    class Sample:
        a: int
        b: list = dataclasses.field(default_factory=list, hash=False)
        c: str = "c"
        d: int = dataclasses.field(default=4, kw_only=True)

    one, two = Sample(1), Sample(1)
    assert (one.a, one.b, one.c, one.d) == (1, [], "c", 4)
    assert one.b is not two.b  # a fresh value from the factory each time
    assert Sample(1, [2], "x", d=5) == Sample(a=1, b=[2], c="x", d=5)
    with pytest.raises(TypeError):
        Sample(1, [2], "x", 5)  # d is keyword-only, as the dataclass made it
    assert one == two and hash(one) == hash(two)


def test_quick_refuses_what_it_would_build_differently():
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self):
            raise ValueError

    @dataclasses.dataclass(frozen=True, slots=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    for cls in (NoSlots, NotFrozen, Checked, Derived):
        with pytest.raises(TypeError, match="quick"):
            quick(cls)
