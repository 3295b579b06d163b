"""normcore.host.usable_cpus: the smaller of scheduler affinity and the cgroup CPU quota."""

import os

import pytest

from normcore import host


def cgroup_v2(tmp_path, text):
    (tmp_path / "cpu.max").write_text(text)
    return tmp_path


def cgroup_v1(tmp_path, quota, period):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(f"{period}\n")
    return tmp_path


@pytest.fixture
def eight_cpus(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))


@pytest.mark.parametrize(
    ("text", "quota", "cpus"),
    [
        ("max 100000\n", None, 8),  # no quota: the affinity decides
        ("200000 100000\n", 2.0, 2),  # docker run --cpus=2
        ("150000 100000\n", 1.5, 1),  # 1.5 CPUs: one busy worker, not two half-starved ones
        ("50000 100000\n", 0.5, 1),  # below one CPU: still one worker
        ("1600000 100000\n", 16.0, 8),  # a quota above the affinity: the affinity decides
    ],
)
def test_cgroup_v2_cpu_max(tmp_path, eight_cpus, text, quota, cpus):
    root = cgroup_v2(tmp_path, text)
    assert host.cgroup_cpu_quota(root) == quota
    assert host.usable_cpus(root) == cpus


@pytest.mark.parametrize(("quota", "period", "cpus"), [(-1, 100000, 8), (300000, 100000, 3)])
def test_cgroup_v1_cfs_quota(tmp_path, eight_cpus, quota, period, cpus):
    assert host.usable_cpus(cgroup_v1(tmp_path, quota, period)) == cpus


def test_affinity_limits_when_there_is_no_cgroup(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3})
    assert host.cgroup_cpu_quota(tmp_path) is None  # no files at all
    assert host.usable_cpus(tmp_path) == 2


def test_garbage_in_cpu_max_means_no_quota(tmp_path, eight_cpus):
    assert host.usable_cpus(cgroup_v2(tmp_path, "nonsense")) == 8


def test_this_machine():
    assert 1 <= host.usable_cpus() <= len(os.sched_getaffinity(0))


def test_memory_of_this_process_and_of_one_that_has_gone():
    rss, pss = host.memory_kb(os.getpid())
    assert rss > 0 and 0 < pss <= rss
    assert host.memory_kb(2**22 + 1) == (0, 0)  # above pid_max's default: no such process
