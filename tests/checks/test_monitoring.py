"""The plan's statement of TKE's managed Prometheus (checks/monitoring.py)."""

from __future__ import annotations

from checks import checked
from checks.monitoring import summary_lines

from tests.conftest import tke_config


def test_tmp_section_states_what_tmp_reads_and_what_is_unconfirmed():
    text = "\n".join(summary_lines(checked(tke_config(
        monitoring={"prometheus": {"kind": "tke-managed", "instanceId": "prom-abcd1234"}}))))
    assert "TKE's managed Prometheus `prom-abcd1234` is associated with the cluster" in text
    assert "`agents.cluster_name` is computed by the provider and not sent" in text
    assert "`ServiceMonitor` / `PodMonitor` objects (`monitoring.coreos.com/v1`)" in text
    assert "Not confirmed by any source read: that the association installs the `monitoring.coreos.com` CRDs" in text
    assert "outside its own namespace (`prom-abcd1234`;" in text


def test_no_section_without_tmp():
    assert summary_lines(checked(tke_config(monitoring={"prometheus": {"kind": "in-cluster"}}))) == []
    assert summary_lines(checked(tke_config())) == []
