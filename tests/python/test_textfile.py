"""node_exporter's textfile collector: write_to_textfile and the pusher's textfile target
write the registry's text atomically, raise errors that name the path, and leave no
temporary file behind."""

from __future__ import annotations

import os
import pathlib
import subprocess
import threading
import time
import uuid

import pushmetrics
import pytest
from conftest import run_script, runtime_values_blanked
from pushmetrics import (
    Counter,
    Gauge,
    Histogram,
    Pusher,
    PushError,
    Registry,
    Summary,
    generate_latest,
    write_to_textfile,
)


def sample_registry() -> Registry:
    reg = Registry()
    Counter("backup_files_total", 'Files by "kind"', ["kind"], registry=reg).labels(
        "full\\daily\n"
    ).inc(42)
    Gauge("backup_last_success_timestamp_seconds", "Last success", registry=reg).set(1.7e9)
    h = Histogram("backup_duration_seconds", "Duration", buckets=[1, 10], registry=reg)
    h.observe(0.5)
    h.observe(20)
    Summary("backup_size_bytes", "Size", registry=reg).observe(1024)
    return reg


def promtool_check(path: os.PathLike[str] | str) -> None:
    with open(path, "rb") as f:
        proc = subprocess.run(
            ["promtool", "check", "metrics"], stdin=f, capture_output=True, check=False
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def wait_for(check, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def read(path: pathlib.Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def test_the_file_holds_the_registry_text_and_passes_promtool(tmp_path: pathlib.Path):
    reg = sample_registry()
    path = tmp_path / "backup.prom"
    write_to_textfile(str(path), reg)
    assert path.read_bytes() == generate_latest(reg)
    assert 'backup_files_total{kind="full\\\\daily\\n"} 42\n' in path.read_text()
    promtool_check(path)
    # A pathlib.Path works as well, and the file is replaced.
    write_to_textfile(path, Registry())
    assert path.read_text() == ""
    assert os.listdir(tmp_path) == ["backup.prom"]


def test_the_default_registry_is_written_when_none_is_given(tmp_path: pathlib.Path):
    name = f"textfile_default_{uuid.uuid4().hex[:8]}_total"
    Counter(name, "In the default registry").inc(3)
    path = tmp_path / "default.prom"
    write_to_textfile(str(path))
    assert f"{name} 3" in path.read_text()
    assert runtime_values_blanked(path.read_bytes()) == runtime_values_blanked(
        generate_latest(pushmetrics.REGISTRY)
    )


def test_the_file_mode_lets_another_user_read_it(tmp_path: pathlib.Path):
    path = tmp_path / "mode.prom"
    old = os.umask(0o022)
    try:
        write_to_textfile(str(path), sample_registry())
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_reader_never_sees_a_partial_file_while_it_is_rewritten_1000_times(
    tmp_path: pathlib.Path,
):
    small = Registry()
    Gauge("small_value", "S", registry=small).set(1)
    big = Registry()
    g = Gauge("big_value", "B", ["i"], registry=big)
    for i in range(2000):
        g.labels(f"series-{i:05d}").set(i)
    texts = {generate_latest(small), generate_latest(big)}
    path = tmp_path / "job.prom"
    write_to_textfile(str(path), small)
    done = threading.Event()
    seen = {"reads": 0, "bad": []}

    def poll() -> None:
        while not done.is_set():
            data = path.read_bytes()
            seen["reads"] += 1
            if data not in texts:
                seen["bad"].append(len(data))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for i in range(1000):
            write_to_textfile(str(path), big if i % 2 == 0 else small)
    finally:
        done.set()
        reader.join()
    assert seen["bad"] == []
    assert seen["reads"] > 0
    assert os.listdir(tmp_path) == ["job.prom"]


@pytest.mark.parametrize(
    "where, reason",
    [
        ("missing/job.prom", "No such file or directory"),
        ("plain-file/job.prom", "Not a directory"),
        ("a-dir.prom", "Is a directory"),
    ],
)
def test_unwritable_paths_raise_an_oserror_naming_the_path(
    tmp_path: pathlib.Path, where: str, reason: str
):
    (tmp_path / "plain-file").write_text("x")
    (tmp_path / "a-dir.prom").mkdir()
    path = str(tmp_path / where)
    with pytest.raises(PushError) as e:
        write_to_textfile(path, sample_registry())
    assert isinstance(e.value, OSError)
    assert path in str(e.value) and reason in str(e.value)
    assert sorted(os.listdir(tmp_path)) == ["a-dir.prom", "plain-file"]
    assert os.listdir(tmp_path / "a-dir.prom") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_read_only_directory_raises_permission_denied(tmp_path: pathlib.Path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    with pytest.raises(PushError, match="Permission denied"):
        write_to_textfile(str(ro / "job.prom"), sample_registry())
    assert os.listdir(ro) == []


def test_the_pusher_rewrites_the_file_at_each_interval_and_at_shutdown(
    tmp_path: pathlib.Path,
):
    reg = Registry()
    done = Counter("items_done_total", "Items", registry=reg)
    path = tmp_path / "worker.prom"
    done.inc()
    pusher = Pusher(
        path, registry=reg, target="textfile", interval=0.1, jitter=0, ignore_env=True
    )
    assert pusher.url == str(path)
    assert wait_for(lambda: "items_done_total 1\n" in read(path))
    done.inc()
    assert wait_for(lambda: "items_done_total 2\n" in read(path))
    # The stats are updated just after the write.
    assert wait_for(lambda: pusher.stats().pushes_ok >= 2)
    assert pusher.healthy()
    done.inc(40)
    pusher.shutdown()
    text = path.read_text()
    assert "items_done_total 42\n" in text
    assert "pushmetrics_pushes_total" in text
    promtool_check(path)
    assert os.listdir(tmp_path) == ["worker.prom"]


def test_failed_writes_are_counted_and_name_the_path(tmp_path: pathlib.Path):
    (tmp_path / "plain-file").write_text("x")
    path = str(tmp_path / "plain-file" / "job.prom")
    pusher = Pusher(
        f"file://{path}",
        registry=sample_registry(),
        target="textfile",
        interval=3600,
        ignore_env=True,
    )
    try:
        with pytest.raises(PushError, match="Not a directory") as e:
            pusher.flush()
        assert path in str(e.value)
        stats = pusher.stats()
        assert stats.pushes_failed == 1 and stats.pushes_ok == 0
        assert path in stats.last_error
    finally:
        with pytest.raises(PushError):
            pusher.shutdown()


def test_the_environment_chooses_the_textfile_target(tmp_path: pathlib.Path):
    path = tmp_path / "from-env.prom"
    _, out = run_script(
        """
        import pushmetrics
        c = pushmetrics.Counter("env_jobs_total", "Jobs")
        c.inc()
        p = pushmetrics.Pusher("localhost:9091", "env_job", interval=3600)
        print(p.url)
        """,
        {
            "PUSHMETRICS_TARGET": "textfile",
            "PUSHMETRICS_URL": str(path),
            "PUSHMETRICS_SELF_METRICS": "false",
        },
    )
    assert str(path) in out
    # The final write at interpreter exit.
    assert "env_jobs_total 1\n" in path.read_text()
    promtool_check(path)
    assert os.listdir(tmp_path) == ["from-env.prom"]
