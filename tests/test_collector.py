"""The cycle collector around bulk work (collector.py): off while validate, plan and apply
build what lives until they end, handed to the oldest generation after, and on again for
delivery, where garbage in cycles is made request after request."""

from __future__ import annotations

import gc
import weakref

import pytest

from provisioner import collector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture(autouse=True)
def collector_on():
    assert gc.isenabled() and gc.get_freeze_count() == 0
    yield
    gc.enable()


def test_paused_turns_the_collector_off_and_hands_what_was_made_to_the_oldest_generation():
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # a pause inside a pause is the same pause
            kept = [[i] for i in range(200_000)]
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    oldest = {id(o) for o in gc.get_objects(generation=2)}  # not waiting to be walked in a young one
    assert id(kept) in oldest and id(kept[0]) in oldest and id(kept[-1]) in oldest


def test_a_cycle_made_while_paused_is_still_collected_later():
    with collector.paused():
        gone = weakref.ref(Node())
        assert gone() is not None and not gc.isenabled()
    assert gone() is not None  # waits for a collection of the oldest generation
    gc.collect()
    assert gone() is None


def test_running_inside_a_pause_collects_new_cycles_and_leaves_the_rest_out():
    with collector.paused():
        before = Node()
        with collector.running():
            assert gc.isenabled() and gc.get_freeze_count() > 0
            fresh = weakref.ref(Node())
            gc.collect()
            assert fresh() is None
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    assert before.me is before


def test_the_decorator_pauses_each_call():
    @collector.paused()
    def during():
        return gc.isenabled()

    assert during() is False and during() is False and gc.isenabled()


def test_validate_plans_and_applies_paused_and_delivers_with_the_collector_on(tmp_path, make_org, monkeypatch):
    """The commands' bulk work runs with the collector off, delivery to a target with it on."""
    from provisioner import pipeline
    from provisioner.targets import delivery

    from tests.targets.scimorg import TODAY, cli
    from tests.targets.test_changefile import org_with_changefile

    org = org_with_changefile(tmp_path, make_org)  # a target that takes change files
    seen = []
    load, deliver = pipeline.load_folder, delivery.deliver
    monkeypatch.setattr(pipeline, "load_folder", lambda *a, **k: seen.append(("read", gc.isenabled()))
                        or load(*a, **k))
    monkeypatch.setattr(delivery, "deliver", lambda *a, **k: seen.append(("deliver", gc.isenabled()))
                        or deliver(*a, **k))
    state = f"sqlite:///{tmp_path}/state.db"
    for args in (["validate", org], ["plan", org, "--state", state], ["apply", org, "--auto-approve",
                                                                         "--state", state]):
        r = cli(*args, "--today", TODAY)
        assert r.exit_code == 0, r.output
        assert gc.isenabled() and gc.get_freeze_count() == 0
    assert seen == [("read", False)] * 3 + [("deliver", True)]
    assert sorted(p.suffix for p in (org / "exports" / "emr").iterdir()) == [".csv", ".json"]
