"""The chat's own JavaScript and CSS stay within 15 KB gzip on the first visit (issue 9, section 2).

A size, not a time: what the chat page links that the form's page does not (chat.js, chat.css),
gzipped at level 6 as the proxy does. ``bench/chat.py`` prints the whole first visit.
"""

from __future__ import annotations

import gzip
import re

BUDGET = 15 * 1024
ASSETS = re.compile(r'(?:href|src)="(/static/[^"?]+\.(?:css|js))(?:\?[^"]*)?"')


def linked(html: str) -> set[str]:
    return set(ASSETS.findall(html))


def test_the_chats_own_javascript_and_css_are_at_most_15_kb_gzip(signed_in):
    chat = signed_in.get("/intake/chat")
    assert chat.status_code == 200
    form = signed_in.get("/intake/about_you")
    assert form.status_code == 200
    extra = {url for url in linked(chat.text) if url not in linked(form.text) or url.startswith("/static/chat")}
    assert {"/static/chat.js", "/static/chat.css"} <= extra, extra
    sizes = {}
    for url in sorted(extra):
        asset = signed_in.get(url)
        assert asset.status_code == 200, url
        sizes[url] = len(gzip.compress(asset.data, compresslevel=6))
        asset.close()
    assert sum(sizes.values()) <= BUDGET, sizes
