"""Plans a process prepares once: `shared_plan`, and `FramePlan` pickling through it."""

from __future__ import annotations

import pickle
import threading

import attrs
import pandas as pd

from crmculture.batch import FramePlan
from crmculture.batch.frames import SHARED_PLANS, shared_plan, shared_plan_info
from crmculture.stories import acme_policy


def test_equal_policies_share_one_plan_per_department() -> None:
    plan = shared_plan(acme_policy(), "sales")
    assert shared_plan(acme_policy(), "sales") is plan
    assert shared_plan(acme_policy(), "support") is not plan
    assert plan.department == "sales"


def test_a_plan_unpickles_as_the_shared_one() -> None:
    """Whatever the plan pickled was, the receiving process gets its shared plan, which
    decides as a freshly prepared one."""
    fresh = FramePlan(acme_policy(), "engineering")
    received = pickle.loads(pickle.dumps(fresh))
    assert received is shared_plan(acme_policy(), "engineering")
    assert received is not fresh
    frame = pd.DataFrame(
        {
            "credit_hold": [True, False],
            "days_overdue": [0, 0],
            "annual_volume": [1, 300_000],
            "tier": ["gold", "silver"],
        }
    )
    pd.testing.assert_frame_equal(received.decide(frame), fresh.decide(frame))


def test_the_most_recently_used_plans_are_kept() -> None:
    versions = [attrs.evolve(acme_policy(), version=f"lru-{n}") for n in range(SHARED_PLANS + 1)]
    first = shared_plan(versions[0])
    for version in versions[1:]:
        shared_plan(version)
        assert shared_plan_info().kept <= SHARED_PLANS
    before = shared_plan_info()
    again = shared_plan(versions[0])
    assert again is not first  # evicted, prepared again
    assert shared_plan_info().prepared == before.prepared + 1
    assert shared_plan(versions[-1]) is shared_plan(versions[-1])


def test_threads_asking_at_once_get_one_plan() -> None:
    policy = attrs.evolve(acme_policy(), version="threads")
    found: list[FramePlan] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        found.append(shared_plan(policy, "sales"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8
    assert all(plan is found[0] for plan in found)
    assert shared_plan(policy, "sales") is found[0]
