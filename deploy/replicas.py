"""Two app replicas behind nginx on loopback, from deploy/nginx.conf: for the tests, the load
benchmark, and to try the set-up by hand.

python deploy/replicas.py          # prints the address; Ctrl-C stops all three processes
"""

from __future__ import annotations

import contextlib
import shutil
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import free_port, serve, wait_healthy  # noqa: E402

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
INSTALL_HINT = "nginx is not installed: apt-get install -y nginx (Debian/Ubuntu); scripts/test does it"


@dataclass
class Replicas:
    url: str  # nginx, the address viewers use
    replica_urls: list[str]
    processes: list[subprocess.Popen]  # replica servers, then nginx
    runtime_dir: Path

    @property
    def access_log(self) -> Path:
        return self.runtime_dir / "access.log"

    def routes(self) -> list[tuple[str, str]]:
        """(route id, replica address) for every request nginx has logged so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return [tuple(line.split(" ", 2)[:2]) for line in lines]


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise FileNotFoundError(INSTALL_HINT)
    return found


def render_config(listen: int, replica_ports: list[int], runtime_dir: Path) -> str:
    return string.Template(TEMPLATE.read_text()).safe_substitute(
        LISTEN=f"127.0.0.1:{listen}",
        REPLICA_A=f"127.0.0.1:{replica_ports[0]}",
        REPLICA_B=f"127.0.0.1:{replica_ports[1]}",
        RUNTIME_DIR=str(runtime_dir),
    )


@contextlib.contextmanager
def replicas(script: str = "app.py", log_dir: Path | None = None):
    """Start two ``streamlit run`` replicas and nginx in front of them; stop all on exit."""
    binary = nginx_binary()
    runtime_dir = Path(tempfile.mkdtemp(prefix="normcore-nginx-"))
    runtime_dir.chmod(0o755)  # nginx's workers run as an unprivileged user when started by root
    log_dir = log_dir or runtime_dir
    processes: list[subprocess.Popen] = []
    try:
        urls = []
        for name in "ab":
            process, url = serve(log=log_dir / f"replica-{name}.log", script=script)
            processes.append(process)
            urls.append(url)
        listen = free_port()
        config = runtime_dir / "nginx.conf"
        config.write_text(render_config(listen, [int(u.rsplit(":", 1)[1]) for u in urls], runtime_dir))
        nginx = subprocess.Popen(
            [binary, "-c", str(config), "-p", str(runtime_dir), "-e", str(runtime_dir / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=open(runtime_dir / "nginx.stderr", "w"),  # noqa: SIM115
        )
        processes.append(nginx)
        url = f"http://127.0.0.1:{listen}"
        try:
            wait_healthy(url, nginx, seconds=20)
        except Exception as error:
            raise RuntimeError(f"nginx did not start: {_tail(runtime_dir)}") from error
        yield Replicas(url, urls, processes, runtime_dir)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(runtime_dir, ignore_errors=True)


def _tail(runtime_dir: Path) -> str:
    parts = [
        p.read_text()[-2000:] for p in (runtime_dir / "nginx.stderr", runtime_dir / "error.log") if p.exists()
    ]
    return "\n".join(parts) or "(no nginx output)"


if __name__ == "__main__":
    with replicas() as running:
        print(f"nginx {running.url} -> replicas {', '.join(running.replica_urls)}; Ctrl-C stops them")
        with contextlib.suppress(KeyboardInterrupt):
            while all(p.poll() is None for p in running.processes):
                time.sleep(1)
