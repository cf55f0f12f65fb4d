"""Page weight: bytes a phone downloads on a first visit to an intake step (gzip), per resource.

Signs a newcomer in through the real invitation flow (Flask test client, throwaway SQLite), fetches
each intake step page and everything it links (stylesheets, scripts, fonts, images), and gzips each
body as a web server would (level 6). Prints a Markdown table.

    .venv/bin/python bench/page_weight.py
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.cli import invite  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Municipality  # noqa: E402
from tests.app.test_intake import WEB  # noqa: E402

LEVEL = 6
TARGET = 40 * 1024


def gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=LEVEL))


def headers_size(response) -> int:  # noqa: ANN001
    return sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17


def main() -> None:
    folder = tempfile.mkdtemp()
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/weight.sqlite3"})
    with app.app_context():
        db.create_all()
        db.session.add(Municipality(code="0405", name="Hoorn"))
        db.session.commit()
        _person, link = invite("Amal Al-Hassan", "0612345601", "0405", "ar")
        db.session.commit()
    client = app.test_client()
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(path, data={"csrf_token": token})

    rows = []
    first_visit = None
    for step_id, answers in WEB.items():
        response = client.get(f"/intake/{step_id}")
        html = response.data
        assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
        asset_bytes = []
        for url in assets:
            asset = client.get(url.decode())
            asset_bytes.append((url.decode().split("?")[0], len(asset.data), gz(asset.data), headers_size(asset)))
            asset.close()
        fonts = [u for u in assets if re.search(rb"\.(woff2?|ttf|otf)", u)]
        html_row = (f"/intake/{step_id} (HTML)", len(html), gz(html), headers_size(response))
        if first_visit is None:
            first_visit = [html_row, *asset_bytes]
            assert not fonts, "fonts would be counted here"
        rows.append(html_row)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text).group(1)
        client.post(f"/intake/{step_id}", data={"csrf_token": token, **answers})

    total_gz = sum(r[2] for r in first_visit)
    total_wire = sum(r[2] + r[3] for r in first_visit)
    print(f"First visit to step 1 (Arabic; gzip level {LEVEL}):\n")
    print("| resource | raw bytes | gzip bytes | gzip + headers |")
    print("|---|---:|---:|---:|")
    for name, raw, packed, head in first_visit:
        print(f"| {name} | {raw:,} | {packed:,} | {packed + head:,} |")
    print(f"| **total** | {sum(r[1] for r in first_visit):,} | **{total_gz:,}** | **{total_wire:,}** |")
    print(
        f"\nTarget: at most {TARGET:,} bytes; {'met' if total_wire <= TARGET else 'NOT met'} "
        f"({total_wire / 1024:.1f} KB incl. headers). Fonts: none (system fonts).\n"
    )
    print("Every step page, HTML only (CSS and JS are cached after the first visit):\n")
    print("| page | raw bytes | gzip bytes |")
    print("|---|---:|---:|")
    for name, raw, packed, _head in rows:
        print(f"| {name.replace(' (HTML)', '')} | {raw:,} | {packed:,} |")


if __name__ == "__main__":
    main()
