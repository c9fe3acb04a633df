"""Run in its own process by bench.storage: serve some requests, print resident memory as JSON.

    python -m bench.worker_memory URL TOKEN REQUESTS
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _kib(field: str) -> int:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1])


def main() -> None:
    url, token, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from web import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for n in range(requests):
        address = {"REMOTE_ADDR": f"127.4.{n // 250}.{n % 250 + 1}"}
        page = client.get(f"/api/v1/tasks?scope=group&per_page=50&page={n % 20 + 1}", headers=headers,
                          environ_overrides=address).get_json()
        for item in page["items"][:5]:  # task pages restore the case and render its form
            client.get(f"/api/v1/tasks/{item['id']}", headers=headers, environ_overrides=address)
    print(json.dumps({"rss_mb": _kib("VmRSS:") / 1024, "peak_rss_mb": _kib("VmHWM:") / 1024,
                      "requests": requests}))


if __name__ == "__main__":
    main()
