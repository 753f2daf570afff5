from pathlib import Path

import pytest

from events import catalog
from shared.devstack.manifests import Delivery, load, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0.2S", 0.2),
        ("PT30S", 30),
        ("PT1M30S", 90),
        ("PT2H", 7200),
        ("P1D", 86400),
        ("P1DT1S", 86401),
    ],
)
def test_iso8601_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "30s", "PT-1S"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_exponential_backoff_doubles_from_the_delay() -> None:
    d = Delivery(retry=3, backoff_policy="exponential", backoff_delay=0.2)
    assert [d.backoff(n) for n in range(3)] == pytest.approx([0.2, 0.4, 0.8])


def test_linear_backoff_grows_by_the_delay() -> None:
    d = Delivery(retry=3, backoff_policy="linear", backoff_delay=0.5)
    assert [d.backoff(n) for n in range(3)] == pytest.approx([0.5, 1.0, 1.5])


def test_no_delivery_spec_means_knative_defaults() -> None:
    d = Delivery.from_spec(None)
    assert (d.retry, d.backoff_policy, d.backoff_delay, d.timeout) == (
        10,
        "exponential",
        0.3,
        600.0,
    )


def test_agent_runner_source_reads_incoming_with_a_dead_letter_sink() -> None:
    m = load()
    source = next(s for s in m.subscriptions if s.name == "agent-runner-source")
    assert source.topics == [catalog.TOPIC_INCOMING]
    assert source.subscriber == "agent-runner"
    assert source.ordered
    assert source.delivery.retry > 0
    assert m.sinks[source.delivery.dead_letter_sink or ""] == catalog.TOPIC_DLQ


def test_every_subscription_has_a_dead_letter_sink_and_a_known_subscriber() -> None:
    m = load()
    for sub in m.subscriptions:
        assert sub.delivery.dead_letter_sink in m.sinks, sub.name
        assert sub.subscriber in m.services, sub.name
        assert set(sub.topics) <= set(m.topics), sub.name


def test_send_web_trigger_filters_web_replies_from_the_broker_topic() -> None:
    trigger = next(s for s in load().subscriptions if s.name == "send-web")
    assert trigger.topics == [catalog.TOPIC_OUTGOING]
    assert trigger.filter == {"type": catalog.REPLY_READY, "channel": "web_form"}


def test_topics_named_in_manifests_are_the_catalog_topics() -> None:
    topics = set(load().topics)
    assert {catalog.TOPIC_INCOMING, catalog.TOPIC_OUTGOING, catalog.TOPIC_DLQ} <= topics


def test_the_agent_runner_reads_its_rules_from_the_mounted_config_map(tmp_path: Path) -> None:
    from shared.devstack.stack import mount_config_maps, service_env

    m = load()
    runner = m.services["agent-runner"]
    mounts = mount_config_maps(runner, m, tmp_path)
    env = service_env(runner, m, {}, mounts)
    rules = Path(env["ESCALATION_RULES_PATH"])
    assert rules.is_relative_to(tmp_path)
    assert rules.read_text() == m.config_maps["fte-escalation-rules"]["escalation-rules.yaml"]
