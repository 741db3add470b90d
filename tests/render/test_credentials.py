"""The pure helpers behind key rotation: which Secrets a pod template reads, the checksum of their
content, and an annotation placed on pod templates without copying (or reading) the values."""

from __future__ import annotations

from render.credentials import annotate_pods, keys_checksum, pod_templates, secrets_read


def _pod(*secrets: str, env_from: str | None = None, volume: str | None = None) -> dict:
    container = {"name": "c", "env": [{"name": "PLAIN", "value": "x"}]
                 + [{"name": s.upper(), "valueFrom": {"secretKeyRef": {"name": s, "key": "k"}}} for s in secrets]}
    if env_from:
        container["envFrom"] = [{"secretRef": {"name": env_from}}, {"configMapRef": {"name": "cm"}}]
    pod = {"containers": [container]}
    if volume:
        pod["volumes"] = [{"name": "v", "secret": {"secretName": volume}}, {"name": "w", "emptyDir": {}}]
    return {"metadata": {"labels": {"a": "b"}}, "spec": pod}


def _deployment(template: dict) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": template}}


def _lws(leader: dict, worker: dict) -> dict:
    return {"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", "metadata": {"name": "l"},
            "spec": {"leaderWorkerTemplate": {"size": 2, "leaderTemplate": leader, "workerTemplate": worker}}}


def test_secrets_read_through_env_env_from_and_volumes():
    init = _pod("init-secret")
    pod = _pod("a", "b", env_from="c", volume="d")
    pod["spec"]["initContainers"] = init["spec"]["containers"]
    assert secrets_read(pod) == {"a", "b", "c", "d", "init-secret"}
    assert secrets_read(_pod()) == set()


def test_the_checksum_depends_on_every_value_and_name_but_not_on_order():
    one = keys_checksum({"s1": {"k": "v1", "j": "w"}, "s2": {"k": "v2"}})
    assert one == keys_checksum({"s2": {"k": "v2"}, "s1": {"j": "w", "k": "v1"}})
    assert len(one) == 64 and "v1" not in one
    assert one != keys_checksum({"s1": {"k": "v1-rotated", "j": "w"}, "s2": {"k": "v2"}})
    assert one != keys_checksum({"s1": {"k": "v2", "j": "w"}, "s2": {"k": "v1"}})
    assert one != keys_checksum({"s1": {"k": "v1", "j": "w"}, "s3": {"k": "v2"}})


def test_annotations_land_on_each_template_as_asked_and_the_input_is_untouched():
    value = object()  # stands for a Pulumi Output: placed, never copied or read
    lws = _lws(_pod("key"), _pod())
    before = repr(lws)
    out = annotate_pods(lws, lambda t: {"sum": value} if secrets_read(t) else {})
    leader, worker = pod_templates(out)
    assert leader["metadata"] == {"labels": {"a": "b"}, "annotations": {"sum": value}}
    assert "annotations" not in worker["metadata"]
    assert repr(lws) == before, "the renderer's manifest is not modified"
    assert worker is lws["spec"]["leaderWorkerTemplate"]["workerTemplate"], "what is not annotated is not copied"


def test_existing_pod_annotations_are_kept():
    t = _pod("key")
    t["metadata"]["annotations"] = {"tke-llm.io/config-sha256": "abc"}
    (tpl,) = pod_templates(annotate_pods(_deployment(t), lambda _: {"sum": "1"}))
    assert tpl["metadata"]["annotations"] == {"tke-llm.io/config-sha256": "abc", "sum": "1"}


def test_objects_without_pods_are_returned_as_they_are():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
    assert annotate_pods(secret, lambda _: {"sum": "1"}) == secret
    assert list(pod_templates(secret)) == []
