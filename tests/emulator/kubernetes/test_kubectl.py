"""The pinned kubectl (1.37.1) against a cluster's API server, with the kubeconfig
listClusterUserCredential hands out: plain `kubectl apply` (server-side validation through
/openapi/v3), re-apply as a strategic merge patch, printing columns, watch, describe, jsonpath,
rollout status, delete."""
from __future__ import annotations

import json
import re
import time

import pytest
from kit import wait_for

from .conftest import AI_SERVICE_ACCOUNT, AI_SERVICE_DEPLOYMENT

NS = "article"
NAMESPACE = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\nstringData:\n  a: b\n"
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  type: {type}
  selector:
    app: {name}
  ports:
  - port: {port}
    targetPort: {target}
"""


@pytest.fixture
def applied(kubectl, store):
    kubectl("apply", "-f", "-", input=NAMESPACE)
    manifest = AI_SERVICE_ACCOUNT.format(client_id="11111111-2222-3333-4444-555555555555") + "---\n" + \
        AI_SERVICE_DEPLOYMENT.format(deployment="gpt-4o-mini")
    done = kubectl("apply", "-n", NS, "-f", "-", input=manifest)
    return done


def _header(output: str) -> list[str]:
    return re.split(r"\s{2,}", output.splitlines()[0].strip())


def test_version_reports_the_clusters_kubernetes_version(kubectl):
    out = json.loads(kubectl("version", "-o", "json").stdout)
    assert out["serverVersion"]["gitVersion"] == "v1.32.6"
    assert out["serverVersion"]["minor"] == "32"


def test_plain_apply_creates_the_service_account_and_deployment_with_validation(applied, kubectl):
    assert "serviceaccount/ai-service-account created" in applied.stdout
    assert "deployment.apps/ai-service created" in applied.stdout
    sa = json.loads(kubectl("get", "sa", "ai-service-account", "-n", NS, "-o", "json").stdout)
    assert sa["metadata"]["annotations"]["azure.workload.identity/client-id"] == "11111111-2222-3333-4444-555555555555"
    assert "kubectl.kubernetes.io/last-applied-configuration" in sa["metadata"]["annotations"]


def test_apply_of_an_unknown_field_is_refused_by_strict_server_side_validation(kubectl):
    kubectl("apply", "-f", "-", input=NAMESPACE)
    bad = AI_SERVICE_DEPLOYMENT.format(deployment="x").replace("  replicas: 1\n", "  replicas: 1\n  replica: 2\n")
    done = kubectl("apply", "-n", NS, "-f", "-", input=bad, check=False)
    assert done.returncode == 1
    assert 'strict decoding error: unknown field "spec.replica"' in done.stderr
    assert "Error from server (BadRequest)" in done.stderr


def test_reapply_of_a_changed_manifest_merges_env_by_name_and_stores_no_directive(applied, kubectl, store):
    changed = AI_SERVICE_DEPLOYMENT.format(deployment="gpt-4o").replace(
        "ai-service:latest", "ai-service:2.2.0").replace(
        '        - name: USE_AZURE_AD\n          value: "True"\n',
        '        - name: USE_AZURE_AD\n          value: "True"\n'
        '        - name: APP_VERSION\n          value: "2.2.0"\n')
    done = kubectl("apply", "-n", NS, "-f", "-", input=changed)
    assert "deployment.apps/ai-service configured" in done.stdout
    raw = kubectl("get", "deploy", "ai-service", "-n", NS, "-o", "json").stdout
    assert "$setElementOrder" not in raw and "$patch" not in raw
    container = json.loads(raw)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/azure-samples/aks-store-demo/ai-service:2.2.0"
    assert [e["name"] for e in container["env"]] == ["USE_AZURE_OPENAI", "USE_AZURE_AD", "APP_VERSION",
                                                     "AZURE_OPENAI_DEPLOYMENT_NAME", "AZURE_OPENAI_ENDPOINT"]
    assert {e["name"]: e["value"] for e in container["env"]}["AZURE_OPENAI_DEPLOYMENT_NAME"] == "gpt-4o"
    stored = store.get("deployments", NS, "ai-service")
    assert "$setElementOrder/containers" not in json.dumps(stored)
    assert stored["metadata"]["generation"] == 2


def test_reapply_of_an_unchanged_manifest_says_unchanged(applied, kubectl):
    manifest = AI_SERVICE_DEPLOYMENT.format(deployment="gpt-4o-mini")
    assert "deployment.apps/ai-service unchanged" in kubectl("apply", "-n", NS, "-f", "-", input=manifest).stdout


def test_reapply_removing_an_env_var_deletes_it_three_way(applied, kubectl):
    trimmed = AI_SERVICE_DEPLOYMENT.format(deployment="gpt-4o-mini").replace(
        '        - name: USE_AZURE_AD\n          value: "True"\n', "")
    kubectl("apply", "-n", NS, "-f", "-", input=trimmed)
    env = json.loads(kubectl("get", "deploy", "ai-service", "-n", NS, "-o", "json").stdout)[
        "spec"]["template"]["spec"]["containers"][0]["env"]
    assert "USE_AZURE_AD" not in [e["name"] for e in env]


def test_get_pods_by_label_prints_the_usual_columns(applied, kubectl):
    out = kubectl("get", "pods", "-n", NS, "-l", "app=ai-service").stdout
    assert _header(out) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    row = out.splitlines()[1].split()
    assert re.fullmatch(r"ai-service-[a-z0-9]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}", row[0])


@pytest.mark.parametrize("resource,columns", [
    ("deploy", ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]),
    ("rs", ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]),
    ("svc", ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]),
    ("sa", ["NAME", "SECRETS", "AGE"]),
    ("events", ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]),
    ("secrets", ["NAME", "TYPE", "DATA", "AGE"]),
    ("configmaps", ["NAME", "DATA", "AGE"]),
])
def test_get_prints_kubectls_columns_per_kind(applied, kubectl, resource, columns):
    if resource in ("secrets", "svc"):
        kubectl("apply", "-n", NS, "-f", "-", input=SECRET)
        kubectl("apply", "-n", NS, "-f", "-", input=SERVICE.format(name="ai-service", type="ClusterIP", port=5001,
                                                                    target=5001))
    assert _header(kubectl("get", resource, "-n", NS).stdout) == columns


def test_get_namespaces_prints_status(kubectl):
    out = kubectl("get", "ns").stdout
    assert _header(out) == ["NAME", "STATUS", "AGE"]
    assert re.search(r"^default\s+Active\s+", out, re.MULTILINE)


def test_get_pods_watch_is_bounded_by_request_timeout_and_sees_new_pods(applied, kubectl, apps, store):
    import subprocess
    import threading

    def scale_soon():
        wait_for(lambda: store.history.watchers, 10, "kubectl's watch to subscribe to the store")
        apps.patch_namespaced_deployment_scale("ai-service", NS, {"spec": {"replicas": 2}})

    threading.Thread(target=scale_soon, daemon=True).start()
    started = time.monotonic()
    done = kubectl("get", "pods", "-n", NS, "-w", "--request-timeout=4s", check=False, timeout=30)
    elapsed = time.monotonic() - started
    assert elapsed < 15, "the watch ended with the request timeout"
    names = {line.split()[0] for line in done.stdout.splitlines()[1:] if line.strip()}
    assert len(names) == 2, done.stdout
    del subprocess


def test_describe_pod_by_label_shows_env_and_events(applied, kubectl):
    out = kubectl("describe", "pod", "-n", NS, "-l", "app=ai-service").stdout
    assert re.search(r"USE_AZURE_OPENAI:\s+True", out)
    assert re.search(r"AZURE_OPENAI_DEPLOYMENT_NAME:\s+gpt-4o-mini", out)
    assert "Service Account:  ai-service-account" in out
    assert re.search(r"Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned article/ai-service-", out)


def test_get_service_jsonpath_prints_the_load_balancer_ip(kubectl, core):
    kubectl("apply", "-f", "-", input=SERVICE.format(name="front", type="LoadBalancer", port=80, target=8080))
    ip = kubectl("get", "svc/front", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}").stdout
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ip)
    assert kubectl("get", "svc/front", "-o", "jsonpath={.spec.type}").stdout == "LoadBalancer"


def test_rollout_status_reports_success_once_pods_are_ready(applied, kubectl):
    out = kubectl("rollout", "status", "deployment/ai-service", "-n", NS, "--timeout=20s").stdout
    assert 'deployment "ai-service" successfully rolled out' in out


def test_delete_removes_the_deployment_and_its_pods(applied, kubectl, store):
    out = kubectl("delete", "deployment", "ai-service", "-n", NS).stdout
    assert 'deployment.apps "ai-service" deleted' in out
    assert store.list("replicasets", NS)[0] == []
    assert store.list("pods", NS)[0] == []
    missing = kubectl("get", "deployment", "ai-service", "-n", NS, check=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "ai-service" not found' in missing.stderr


def test_delete_namespace_removes_everything_in_it(applied, kubectl, store):
    kubectl("delete", "namespace", NS, "--timeout=20s")
    assert store.find("namespaces", None, NS) is None
    assert store.list("deployments", NS)[0] == [] and store.list("serviceaccounts", NS)[0] == []


def test_server_side_apply_creates_then_merges(kubectl):
    manifest = AI_SERVICE_ACCOUNT.format(client_id="aaaa")
    assert "serverside-applied" in kubectl("apply", "--server-side", "-f", "-", input=manifest).stdout
    updated = manifest.replace("aaaa", "bbbb")
    kubectl("apply", "--server-side", "-f", "-", input=updated)
    sa = json.loads(kubectl("get", "sa", "ai-service-account", "-o", "json").stdout)
    assert sa["metadata"]["annotations"]["azure.workload.identity/client-id"] == "bbbb"


def test_logs_by_label_print_the_text_of_the_kubelets_log_file(applied, kubectl, section, store):
    kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=ai-service", "-n", NS, "--timeout=20s")
    pod = store.list("pods", NS)[0][0]

    def written():  # the kubelet writes the file on its own thread
        path = section.log_file(store.cluster_key, NS, pod["metadata"]["name"], "ai-service", False)
        return path if path is not None and path.exists() and path.read_text() else None
    path = wait_for(written, 10, "the kubelet's log file")
    expected = "".join(line.split(" ", 3)[3] + "\n" for line in path.read_text().splitlines())
    assert kubectl("logs", "-n", NS, "-l", "app=ai-service").stdout == expected


def test_explain_reads_the_openapi_schemas(kubectl):
    out = kubectl("explain", "deployment.spec.replicas").stdout
    assert "FIELD: replicas <integer>" in out


def test_kubectl_create_subcommands_send_protobuf_and_are_understood(kubectl, store):
    kubectl("create", "namespace", "made")
    kubectl("create", "serviceaccount", "robot", "-n", "made")
    kubectl("create", "secret", "generic", "creds", "-n", "made", "--from-literal=user=me")
    kubectl("create", "configmap", "settings", "-n", "made", "--from-literal=mode=fast")
    kubectl("create", "service", "loadbalancer", "front", "-n", "made", "--tcp=80:8080")
    kubectl("create", "deployment", "web", "-n", "made", "--image=nginx:1.27", "--port=80", "--replicas=2")
    token = kubectl("create", "token", "robot", "-n", "made", "--duration=1h").stdout.strip()
    assert token.count(".") == 2
    assert store.get("secrets", "made", "creds")["data"] == {"user": "bWU="}
    assert store.get("configmaps", "made", "settings")["data"] == {"mode": "fast"}
    port = store.get("services", "made", "front")["spec"]["ports"][0]
    assert (port["port"], port["targetPort"], port["protocol"]) == (80, 8080, "TCP")
    spec = store.get("deployments", "made", "web")["spec"]
    assert spec["replicas"] == 2 and "paused" not in spec and "minReadySeconds" not in spec
    assert spec["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert len(store.list("pods", "made")[0]) == 2


def test_auth_can_i_and_whoami_answer_for_the_cluster_user(kubectl):
    assert kubectl("auth", "can-i", "create", "deployments", "-n", "kube-system").stdout.strip() == "yes"
    out = kubectl("auth", "whoami").stdout
    assert re.search(r"Username\s+masterclient", out) and "system:masters" in out
    refused = kubectl("get", "selfsubjectreviews", check=False)
    assert refused.returncode == 1 and "(MethodNotAllowed)" in refused.stderr


def test_exec_is_refused_with_a_clear_message(kubectl, store):
    pod = store.list("pods", "default")[0][0]["metadata"]["name"]
    done = kubectl("exec", pod, "--", "ls", check=False)
    assert done.returncode == 1
    assert "exec is not supported by the emulated API server" in done.stderr


def test_logs_follow_streams_the_log_and_is_bounded_by_request_timeout(applied, kubectl):
    kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=ai-service", "-n", NS, "--timeout=20s")
    # the kubelet writes the log on its own thread
    plain = wait_for(lambda: kubectl("logs", "-n", NS, "-l", "app=ai-service").stdout, 10, "a log to print")
    started = time.monotonic()
    followed = kubectl("logs", "-f", "-n", NS, "-l", "app=ai-service", "--request-timeout=3s", check=False, timeout=30)
    assert time.monotonic() - started < 20, "a followed log must end when its request times out"
    assert plain and followed.stdout.startswith(plain)
