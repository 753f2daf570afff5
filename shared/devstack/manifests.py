"""Reads knative/: the Services, sources, triggers, sinks, topics and routes the dev stack obeys."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import croniter

KNATIVE_DIR = Path(__file__).resolve().parents[2] / "knative" / "base"

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class ManifestError(ValueError):
    """A manifest the dev stack refuses, as Knative's webhook would or as it should."""


_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_go_duration(value: str) -> float:
    """A Go duration as Knative's annotations take it (``30s``, ``1m30s``, ``500ms``) in seconds."""
    text = value.strip()
    parts = _GO_DURATION.findall(text)
    if text in ("0", ""):
        return 0.0
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {value!r}")
    unit = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * unit[u] for n, u in parts)


def parse_duration(value: str) -> float:
    """ISO-8601 duration (``PT0.2S``, ``PT1M30S``, ``P1D``) in seconds."""
    match = _DURATION.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        raise ValueError(f"not an ISO-8601 duration: {value!r}")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


@dataclass(frozen=True)
class Delivery:
    """A Knative delivery spec. Without one, Knative's defaults apply (10 retries from PT0.3S)."""

    retry: int = 10
    backoff_policy: str = "exponential"
    backoff_delay: float = 0.3
    timeout: float = 600.0
    dead_letter_sink: str | None = None  # name of a KafkaSink

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None) -> Delivery:
        if not spec:
            return cls()
        dls = ((spec.get("deadLetterSink") or {}).get("ref") or {}).get("name")
        return cls(
            retry=int(spec.get("retry", 0)),
            backoff_policy=spec.get("backoffPolicy", "exponential"),
            backoff_delay=parse_duration(spec["backoffDelay"]) if "backoffDelay" in spec else 0.0,
            timeout=parse_duration(spec["timeout"]) if "timeout" in spec else 600.0,
            dead_letter_sink=dls,
        )

    def backoff(self, retry: int) -> float:
        """Delay before retry ``retry`` (1 for the first): ``delay*2^k`` or ``delay*k``.

        As EKB's ``computeRetryPolicy`` computes it, fed Vert.x retry counts that start at 1:
        with PT0.2S the exponential waits are 0.4s, 0.8s, 1.6s…
        """
        if retry < 1:
            raise ValueError(f"retries count from 1, got {retry}")
        if self.backoff_policy == "linear":
            return self.backoff_delay * retry
        return float(self.backoff_delay * 2**retry)


@dataclass(frozen=True)
class Container:
    command: list[str]
    args: list[str]
    env: list[dict[str, Any]]
    env_from: list[dict[str, Any]]


AUTOSCALING = "autoscaling.knative.dev/"


@dataclass(frozen=True)
class Service:
    name: str
    container: Container
    annotations: dict[str, str]
    config_mounts: dict[str, str] = field(default_factory=dict)  # mountPath -> ConfigMap name
    revision: str = ""  # <name>-<hash of its template>: changes exactly when the template does

    def autoscaling(self, key: str, default: str) -> str:
        return self.annotations.get(AUTOSCALING + key, default)

    @property
    def min_scale(self) -> int:
        return int(self.autoscaling("min-scale", "0"))

    @property
    def idle_period(self) -> float | None:
        """Seconds without a request before Knative takes the last pod away; None: never.

        The autoscaler decides on zero once the stable ``window`` (60s by default) has seen no
        request, then keeps the pod for ``scale-down-delay`` or the retention period, whichever
        is longer (KNATIVE.md).
        """
        if self.min_scale > 0:
            return None
        window = parse_go_duration(self.autoscaling("window", "60s"))
        delay = parse_go_duration(self.autoscaling("scale-down-delay", "0s"))
        retention = parse_go_duration(self.autoscaling("scale-to-zero-pod-retention-period", "0s"))
        return window + max(delay, retention)


@dataclass(frozen=True)
class Subscription:
    """What the dispatcher delivers: a KafkaSource, or a Trigger on a Kafka Broker's topic."""

    name: str
    topics: list[str]
    consumer_group: str
    subscriber: str  # Knative Service name
    delivery: Delivery
    ordered: bool
    initial_offset: str = "earliest"
    filter: dict[str, str] = field(default_factory=dict)
    kind: Literal["KafkaSource", "Trigger"] = "KafkaSource"
    namespace: str = "default"

    @property
    def source(self) -> str:
        """The CloudEvents source Knative gives a record that is not a CloudEvent (sans topic)."""
        return f"/apis/v1/namespaces/{self.namespace}/{self.kind.lower()}s/{self.name}"


@dataclass(frozen=True)
class PingSource:
    """A ``sources.knative.dev/v1`` PingSource: ``data`` to ``sink`` on a cron schedule."""

    name: str
    schedule: str  # 5-field cron
    sink: str  # Knative Service name
    data: bytes = b""
    content_type: str | None = None
    timezone: str | None = None
    namespace: str = "default"

    @property
    def source(self) -> str:
        return f"/apis/v1/namespaces/{self.namespace}/pingsources/{self.name}"


@dataclass(frozen=True)
class RouteMatch:
    path_type: str
    path: str
    method: str | None


@dataclass(frozen=True)
class Cors:
    """An HTTPRoute rule's CORS filter (Gateway API ``HTTPCORSFilter``)."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    max_age: int = 5

    def allows(self, origin: str) -> bool:
        return "*" in self.allow_origins or origin in self.allow_origins


@dataclass(frozen=True)
class HeaderModifier:
    """An HTTPRoute rule's ``ResponseHeaderModifier`` filter (Gateway API ``HTTPHeaderFilter``)."""

    set: tuple[tuple[str, str], ...] = ()
    add: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteRule:
    matches: list[RouteMatch]
    backend: str
    cors: Cors | None = None
    response_headers: HeaderModifier | None = None


@dataclass
class Manifests:
    services: dict[str, Service] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    sinks: dict[str, str] = field(default_factory=dict)  # KafkaSink name -> topic
    topics: dict[str, int] = field(default_factory=dict)  # topic -> partitions
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    routes: list[RouteRule] = field(default_factory=list)
    ping_sources: list[PingSource] = field(default_factory=list)


def _cors(filters: list[dict[str, Any]]) -> Cors | None:
    for f in filters:
        if f.get("type") == "CORS":
            c = f["cors"]
            return Cors(
                tuple(c.get("allowOrigins", [])),
                tuple(c.get("allowMethods", [])),
                tuple(c.get("allowHeaders", [])),
                int(c.get("maxAge", 5)),
            )
    return None


def _response_headers(filters: list[dict[str, Any]]) -> HeaderModifier | None:
    for f in filters:
        if f.get("type") == "ResponseHeaderModifier":
            m = f["responseHeaderModifier"]
            return HeaderModifier(
                tuple((h["name"], str(h["value"])) for h in m.get("set", [])),
                tuple((h["name"], str(h["value"])) for h in m.get("add", [])),
                tuple(m.get("remove", [])),
            )
    return None


def _service(name: str, template: dict[str, Any]) -> Service:
    pod = template["spec"]
    c = pod["containers"][0]
    config_maps = {
        v["name"]: v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v
    }
    mounts = {
        vm["mountPath"]: config_maps[vm["name"]]
        for vm in c.get("volumeMounts", [])
        if vm["name"] in config_maps
    }
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return Service(
        name,
        Container(c.get("command", []), c.get("args", []), c.get("env", []), c.get("envFrom", [])),
        template.get("metadata", {}).get("annotations", {}),
        mounts,
        revision=f"{name}-{digest[:7]}",
    )


def _documents(directory: Path) -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        docs.extend(d for d in yaml.safe_load_all((directory / resource).read_text()) if d)
    return docs


def _kafka_source(meta: dict[str, Any], spec: dict[str, Any]) -> Subscription:
    return Subscription(
        name=meta["name"],
        topics=spec["topics"],
        consumer_group=spec["consumerGroup"],
        subscriber=spec["sink"]["ref"]["name"],
        delivery=Delivery.from_spec(spec.get("delivery")),
        ordered=spec.get("ordering", "ordered") == "ordered",
        initial_offset=spec.get("initialOffset", "latest"),
        kind="KafkaSource",
        namespace=meta.get("namespace", "default"),
    )


def _trigger(
    meta: dict[str, Any], spec: dict[str, Any], brokers: dict[str, tuple[str, Delivery]]
) -> Subscription:
    topic, broker_delivery = brokers[spec["broker"]]
    order = meta.get("annotations", {}).get(
        "kafka.eventing.knative.dev/delivery.order", "unordered"
    )
    return Subscription(
        name=meta["name"],
        topics=[topic],
        consumer_group=f"knative-trigger-{meta['name']}",
        subscriber=spec["subscriber"]["ref"]["name"],
        delivery=Delivery.from_spec(spec["delivery"]) if "delivery" in spec else broker_delivery,
        ordered=order == "ordered",
        initial_offset="earliest",
        filter={k: str(v) for k, v in spec.get("filter", {}).get("attributes", {}).items()},
        kind="Trigger",
        namespace=meta.get("namespace", "default"),
    )


def _ping_data(name: str, spec: dict[str, Any]) -> bytes:
    if "data" in spec and "dataBase64" in spec:
        raise ManifestError(f"PingSource {name}: data and dataBase64 are mutually exclusive")
    try:
        data = (
            base64.b64decode(spec["dataBase64"], validate=True)
            if "dataBase64" in spec
            else str(spec.get("data", "")).encode()
        )
    except binascii.Error as exc:
        raise ManifestError(f"PingSource {name}: dataBase64 is not base64") from exc
    if data and spec.get("contentType") == "application/json":
        try:
            if not isinstance(json.loads(data), dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise ManifestError(f"PingSource {name}: data is not a JSON object") from exc
    return data


def _ping_source(meta: dict[str, Any], spec: dict[str, Any]) -> PingSource:
    """Validated as Knative's ``PingSourceSpec.Validate``: no ``@every``, a valid cron and zone."""
    name, schedule = meta["name"], str(spec["schedule"])
    if "@every" in schedule:
        raise ManifestError(f"PingSource {name}: unsupported descriptor @every")
    five_fields = schedule.startswith("@") or len(schedule.split()) == 5
    if not five_fields or not croniter.is_valid(schedule):
        raise ManifestError(f"PingSource {name}: invalid schedule {schedule!r}")
    timezone = spec.get("timezone")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ManifestError(f"PingSource {name}: unknown timezone {timezone!r}") from exc
    return PingSource(
        name=name,
        schedule=schedule,
        sink=spec["sink"]["ref"]["name"],
        data=_ping_data(name, spec),
        content_type=spec.get("contentType"),
        timezone=timezone or None,
        namespace=meta.get("namespace", "default"),
    )


def _check_dead_letter_sinks(m: Manifests) -> None:
    """Refuse a subscription without a dead-letter sink: an exhausted event would be lost."""
    for sub in m.subscriptions:
        sink = sub.delivery.dead_letter_sink
        if sink is None:
            raise ManifestError(
                f"{sub.kind} {sub.name}: delivery has no deadLetterSink, so an event that "
                "exhausts its retries would be lost"
            )
        if sink not in m.sinks:
            raise ManifestError(f"{sub.kind} {sub.name}: deadLetterSink {sink} is not a KafkaSink")


def route_backend(rule: dict[str, Any]) -> str:
    """The Knative Service an HTTPRoute rule reaches: the first label of its rewritten Host.

    A rule cannot name a Knative Service as its backendRef: the Service Knative makes under that
    name leads to Knative's ingress, which routes by Host. So a rule sends to the ingress with a
    ``URLRewrite`` to ``<service>.<namespace>.svc.cluster.local`` (httproute.yaml), and a rule
    without one is refused here, in the dev stack, as it would fail in a cluster.
    """
    for f in rule.get("filters", []):
        hostname = (
            (f.get("urlRewrite") or {}).get("hostname") if f.get("type") == "URLRewrite" else None
        )
        if hostname and hostname.endswith(".svc.cluster.local") and hostname.count(".") == 4:
            return str(hostname.split(".")[0])
    paths = [m.get("path", {}).get("value") for m in rule.get("matches", [])]
    raise ManifestError(
        f"HTTPRoute rule for {paths}: no URLRewrite to <service>.<namespace>.svc.cluster.local, "
        "so Knative's ingress would not know which Service it is for (see httproute.yaml)"
    )


def _route_rules(spec: dict[str, Any]) -> list[RouteRule]:
    return [
        RouteRule(
            [
                RouteMatch(x["path"]["type"], x["path"]["value"], x.get("method"))
                for x in rule["matches"]
            ],
            route_backend(rule),
            cors=_cors(rule.get("filters", [])),
            response_headers=_response_headers(rule.get("filters", [])),
        )
        for rule in spec["rules"]
    ]


def load(directory: Path = KNATIVE_DIR) -> Manifests:
    """Everything the dev stack runs, refusing what Knative (or safety) would refuse."""
    docs = _documents(directory)
    m = Manifests()
    brokers: dict[str, tuple[str, Delivery]] = {}
    for doc in docs:
        kind, meta, spec = doc["kind"], doc["metadata"], doc.get("spec", {})
        name = meta["name"]
        if kind == "Service" and doc["apiVersion"].startswith("serving.knative.dev"):
            m.services[name] = _service(name, spec["template"])
        elif kind == "ConfigMap":
            m.config_maps[name] = {k: str(v) for k, v in doc.get("data", {}).items()}
        elif kind == "KafkaTopic":
            m.topics[spec.get("topicName", name)] = int(spec.get("partitions", 1))
        elif kind == "KafkaSink":
            m.sinks[name] = spec["topic"]
        elif kind == "KafkaSource":
            m.subscriptions.append(_kafka_source(meta, spec))
        elif kind == "PingSource":
            m.ping_sources.append(_ping_source(meta, spec))
        elif kind == "Broker":
            topic = meta.get("annotations", {})["kafka.eventing.knative.dev/external.topic"]
            brokers[name] = (topic, Delivery.from_spec(spec.get("delivery")))
        elif kind == "HTTPRoute":
            m.routes.extend(_route_rules(spec))
    m.subscriptions.extend(
        _trigger(doc["metadata"], doc["spec"], brokers) for doc in docs if doc["kind"] == "Trigger"
    )
    _check_dead_letter_sinks(m)
    return m
