"""What scale to zero reads: when a Service last had a request, and whether one is in flight."""

from __future__ import annotations

import time
from pathlib import Path

from shared.devstack.activity import Activity, last_request


def test_a_service_never_asked_has_no_last_request(tmp_path: Path) -> None:
    assert last_request(tmp_path, "send-web") is None


def test_a_request_in_flight_marks_the_service_busy_until_it_ends(tmp_path: Path) -> None:
    gateway = Activity(tmp_path, "gateway")
    with gateway.request("send-web"):
        during = last_request(tmp_path, "send-web")
        assert during is not None and during > time.time() + 3600  # never idle meanwhile
    after = last_request(tmp_path, "send-web")
    assert after is not None and abs(after - time.time()) < 5


def test_one_source_ending_its_request_leaves_anothers_in_flight_busy(tmp_path: Path) -> None:
    gateway, dispatcher = Activity(tmp_path, "gateway"), Activity(tmp_path, "dispatcher")
    with dispatcher.request("agent-runner"):
        with gateway.request("agent-runner"):
            pass
        busy = last_request(tmp_path, "agent-runner")
        assert busy is not None and busy > time.time() + 3600


def test_a_restarted_source_clears_what_its_killed_predecessor_left_in_flight(
    tmp_path: Path,
) -> None:
    killed = Activity(tmp_path, "gateway")
    killed.request("ops").__enter__()  # never exits: the process died mid-request

    Activity(tmp_path, "gateway")

    mark = last_request(tmp_path, "ops")
    assert mark is not None and mark <= time.time()


def test_without_a_folder_nothing_is_marked(tmp_path: Path) -> None:
    with Activity(None).request("ops"):
        pass
    assert list(tmp_path.iterdir()) == []
