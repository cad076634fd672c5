"""fan_out: bounded parallelism, results in input order, failures reported per item."""
from __future__ import annotations

import threading

import pytest

from issu.remote import fan_out

HOLD_SECONDS = 0.3  # how long a worker waits for company; bounds the test, asserts nothing


class Gauge:
    """Counts workers running at once; each holds until all items started or a timeout."""

    def __init__(self, total: int):
        self.total = total
        self.started = 0
        self.active = 0
        self.peak = 0
        self.cond = threading.Condition()

    def work(self, item: int) -> int:
        with self.cond:
            self.started += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.cond.notify_all()
            # An unbounded fan-out starts every item and all of them meet here at once;
            # a bounded one never gets there and each worker gives up after the hold.
            self.cond.wait_for(lambda: self.started >= self.total, timeout=HOLD_SECONDS)
            self.active -= 1
        return item * 10


@pytest.mark.parametrize("limit", [1, 3])
def test_never_more_than_max_parallel_at_once(limit):
    gauge = Gauge(total=5)
    results = fan_out(gauge.work, list(range(5)), max_parallel=limit)
    assert gauge.peak == limit
    assert [r for _, r in results] == [i * 10 for i in range(5)]


def test_all_run_together_when_the_limit_allows():
    gauge = Gauge(total=4)
    fan_out(gauge.work, [1, 2, 3, 4], max_parallel=10)
    assert gauge.peak == 4


def test_order_is_preserved_and_failures_are_returned_in_place():
    done = threading.Event()

    def fn(name: str) -> str:
        if name == "compute1":
            # finishes last: waits until the others have returned
            done.wait(timeout=5)
            return "c1-ok"
        if name == "compute2":
            raise RuntimeError("agent did not connect")
        done.set()
        return name.upper()

    results = fan_out(fn, ["compute1", "compute2", "compute3"], max_parallel=3)
    assert [item for item, _ in results] == ["compute1", "compute2", "compute3"]
    assert results[0][1] == "c1-ok"
    assert isinstance(results[1][1], RuntimeError) and str(results[1][1]) == "agent did not connect"
    assert results[2][1] == "COMPUTE3"


def test_base_exceptions_such_as_pytest_failures_are_captured_too():
    def fn(item: int) -> int:
        if item == 2:
            pytest.fail("post-condition not met")
        return item

    results = fan_out(fn, [1, 2, 3], max_parallel=2)
    assert results[0] == (1, 1) and results[2] == (3, 3)
    assert isinstance(results[1][1], BaseException) and "post-condition" in str(results[1][1])


def test_empty_input_and_bad_limit():
    assert fan_out(lambda x: x, [], max_parallel=2) == []
    with pytest.raises(ValueError):
        fan_out(lambda x: x, [1], max_parallel=0)
