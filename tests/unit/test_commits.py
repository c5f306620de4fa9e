"""GroupCommit's hand-offs: callers that arrive while a batch runs go together in the next one,
deferred work runs later, and a failing batch answers every caller (nobody waits forever)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from hub.commits import GroupCommit, Ticket

WAIT = 10.0


def test_callers_arriving_during_a_batch_share_the_next_one() -> None:
    batches: list[list[object]] = []
    first_running, release = threading.Event(), threading.Event()

    def settle(batch: list[Ticket[str]]) -> list[Ticket[str]]:
        batches.append([t.work for t in batch])
        if len(batches) == 1:
            first_running.set()
            assert release.wait(WAIT)
        for ticket in batch:
            ticket.finish(f"done {ticket.work}")
        return []

    commits: GroupCommit[str] = GroupCommit(settle)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(commits.submit, 0)
        assert first_running.wait(WAIT)
        rest = [pool.submit(commits.submit, n) for n in range(1, 6)]
        while len(commits._waiting) < 5:  # every later caller queued behind the running batch
            threading.Event().wait(0.01)
        release.set()
        assert first.result(WAIT) == "done 0"
        assert [f.result(WAIT) for f in rest] == [f"done {n}" for n in range(1, 6)]
    assert batches[0] == [0]
    assert sorted(batches[1]) == [1, 2, 3, 4, 5]  # one batch, not five


def test_deferred_work_runs_in_a_later_batch() -> None:
    seen: list[list[object]] = []

    def settle(batch: list[Ticket[str]]) -> list[Ticket[str]]:
        seen.append([t.work for t in batch])
        deferred = [t for t in batch if t.work == "later" and len(seen) == 1]
        for ticket in batch:
            if ticket not in deferred:
                ticket.finish(str(ticket.work))
        return deferred

    commits: GroupCommit[str] = GroupCommit(settle)
    assert commits.submit("later") == "later"
    assert seen == [["later"], ["later"]]


def test_a_failing_batch_answers_every_caller_and_the_next_batch_runs() -> None:
    calls = 0

    def settle(batch: list[Ticket[str]]) -> list[Ticket[str]]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("store gone")
        for ticket in batch:
            ticket.finish("ok")
        return []

    commits: GroupCommit[str] = GroupCommit(settle)
    with pytest.raises(RuntimeError, match="store gone"):
        commits.submit("a")
    assert commits.submit("b") == "ok"
