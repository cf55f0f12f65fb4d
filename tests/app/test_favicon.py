"""The favicon: every page's layout links an SVG icon and an .ico of the same drawing, both served,
and /favicon.ico (asked for by browsers and tools that do not read the page) is no 404.

Kept here because helper H-C owns this folder; it belongs with tests/app/test_platform.py.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name

from tests.conftest import staff_sign_in

ICON_LINKS = re.compile(r'<link rel="icon" href="(/static/favicon\.(svg|ico)\?v=[0-9a-f]{10})"[^>]*>')


def icon_links(html: str) -> dict[str, str]:
    """The favicon URLs the page links, by kind (svg, ico)."""
    return {kind: href for href, kind in ICON_LINKS.findall(html)}


def test_the_pages_link_the_icon_and_it_is_served(app, client, make_staff):  # noqa: ANN001
    pages = [client.get("/"), client.get("/s/" + "x" * 22)]  # the welcome page; the survey's "link gone" page
    staff_sign_in(client, make_staff("beheerder"))
    pages.append(client.get("/admin/regions"))
    assert [p.status_code for p in pages] == [200, 410, 200]
    links = [icon_links(p.text) for p in pages]
    assert all(found.keys() == {"svg", "ico"} for found in links), links
    assert 'type="image/svg+xml"' in pages[0].text

    with client.get(links[0]["svg"]) as svg:  # a static file is streamed: closed after reading
        svg.get_data()
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    root = ET.fromstring(svg.data)  # noqa: S314 - our own static file
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 32 32"
    assert b"<script" not in svg.data

    with client.get(links[0]["ico"]) as ico:
        ico.get_data()
    assert ico.status_code == 200
    reserved, kind, count = struct.unpack_from("<HHH", ico.data)
    assert (reserved, kind, count) == (0, 1, 2)  # an icon file with two pictures
    sizes = [struct.unpack_from("<BB", ico.data, 6 + 16 * i) for i in range(count)]
    assert sizes == [(16, 16), (32, 32)]


def test_favicon_ico_at_the_root_is_the_icon(client):  # noqa: ANN001
    with client.get("/favicon.ico", follow_redirects=True) as response:
        response.get_data()
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"
