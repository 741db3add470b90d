"""The reader identity: a Role in the pod's namespace only, bound to the ServiceAccount of the same name."""

from render import rbac


def test_the_binding_ties_the_role_to_the_service_account_of_the_same_name_in_one_namespace():
    labels = {"app.kubernetes.io/name": "m-router"}
    sa = rbac.service_account("m-router", "llm", labels)
    role = rbac.role("m-router", "llm", labels, [{"apiGroups": [""], "resources": ["pods"], "verbs": list(rbac.READ)}])
    binding = rbac.role_binding("m-router", "llm", labels)
    assert sa["automountServiceAccountToken"] is False
    assert role["kind"] == "Role" and role["metadata"]["namespace"] == "llm"
    assert role["rules"][0]["verbs"] == ["get", "list", "watch"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "m-router"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "m-router", "namespace": "llm"}]
    assert {sa["metadata"]["name"], role["metadata"]["name"], binding["metadata"]["name"]} == {"m-router"}
