"""Round 22 on tracking: a tracking server that is not running (tracking.uri=http://127.0.0.1:PORT, nothing
listening) held the run for about four minutes before its one-line error, MLflow retrying the refused connection
with growing waits and printing '[HYDRA] Retrying (Retry(total=3, ...' for each try. One connection now says so at
once. MLFLOW_HTTP_REQUEST_MAX_RETRIES=1 keeps MLflow's own path short here, so that this test also fails quickly
where the check is missing (by the retry line it prints)."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.track.tracking import Store, check_store, proxied
from tests.adversarial import assert_one_line_error, run_cli
from tests.test_adversarial_compare import write_dataset

ONE_RETRY = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}


def closed_port() -> int:
    """A local port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_tracking_server_that_is_not_running_is_named_at_once(tmp_path: Path):
    pytest.importorskip("mlflow", reason="tracking=mlflow needs the tracking extra: pip install -e '.[tracking]'")
    uri = f"http://127.0.0.1:{closed_port()}"
    done = run_cli("run", [f"data.root={write_dataset(tmp_path / 'data')}", "model=identity", "tracking=mlflow",
                           f"tracking.uri={uri}", "hydra.run.dir=out/run"], cwd=tmp_path, env=ONE_RETRY)
    assert_one_line_error(done, f"tracking.uri={uri}", "does not answer", "Connection refused", "tracking=none")
    assert "Retrying" not in done.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize("port", ["abc", "99999"])
def test_a_port_that_is_no_port_number_is_still_refused_before_the_run(tmp_path: Path, port: str):
    """The check first read the port and stopped on it (ValueError): the run went on and failed to log at its end
    (exit 1); MLflow's own check refuses such a URL before the run, as it did before."""
    pytest.importorskip("mlflow", reason="tracking=mlflow needs the tracking extra: pip install -e '.[tracking]'")
    uri = f"http://127.0.0.1:{port}"
    done = run_cli("run", [f"data.root={write_dataset(tmp_path / 'data')}", "model=identity", "tracking=mlflow",
                           f"tracking.uri={uri}", "hydra.run.dir=out/run"], cwd=tmp_path, env=ONE_RETRY)
    assert_one_line_error(done, f"tracking.uri={uri}", "does not answer", "tracking=none")
    assert not (tmp_path / "out").exists()


def test_a_host_that_is_not_found_is_named_without_asking_mlflow(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError, match=r"tracking.uri=http://no-such-host.invalid:5000: the MLflow store does not "
                                        r"answer \(\[Errno"):
        check_store(Store("http://no-such-host.invalid:5000", "mt-harness"))


def test_a_proxied_server_is_left_to_mlflow(monkeypatch):
    """Behind a proxy a direct connection proves nothing: MLflow's requests go through the proxy."""
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert proxied("http", "tracking.example")
    monkeypatch.setenv("NO_PROXY", "tracking.example")
    assert not proxied("http", "tracking.example")


def test_a_server_behind_all_proxy_is_left_to_mlflow(monkeypatch):
    """requests sends http and https through ALL_PROXY where no proxy of the scheme is set."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "http://proxy.example:3128")
    assert proxied("http", "tracking.example") and proxied("https", "tracking.example")
