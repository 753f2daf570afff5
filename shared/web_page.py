"""The built web form (``web-form/dist``): the support page at ``/``, the inbox at ``/staff``.

Served by the ``web-page`` function, on the stack and in a cluster alike. The support inbox
(``dist/staff/index.html``) answers at ``/staff`` and every path below it and is never framed;
any other page path gets the support page, which routes itself by its query string. Every
answer carries a policy that allows no inline script or style, no Referer, and framing only by
the ``frame-ancestors`` sources of the ``fte-web-page`` ConfigMap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from starlette.responses import FileResponse, HTMLResponse, Response

WEB_DIST = (
    Path(__file__).resolve().parents[1] / "web-form" / "dist"
)  # /app/web-form/dist in the image
STAFF_PREFIX = "/staff"


def web_dist() -> Path:
    """Where the build is: beside ``shared/``, in the repository and in the image alike."""
    return WEB_DIST


def page_security_headers(frame_ancestors: str = "'self'") -> dict[str, str]:
    """The page's headers: no inline script or style, no Referer, embeddable where configured."""
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {frame_ancestors}"
    )
    return {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }


def staff_page_headers(page: Mapping[str, str]) -> dict[str, str]:
    """The support page's headers, but never framed: the inbox acts for a signed-in person."""
    csp = re.sub(
        r"frame-ancestors [^;]*", "frame-ancestors 'none'", page["content-security-policy"]
    )
    return dict(page) | {"content-security-policy": csp}


def is_staff_page(path: str) -> bool:
    return path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")


def page_response(dist: Path, path: str, page: dict[str, str]) -> Response:
    """A file of the build, else the inbox page under ``/staff``, else the support page."""
    staff = is_staff_page(path)
    entry = dist / "staff" / "index.html" if staff else dist / "index.html"
    headers = staff_page_headers(page) if staff else page
    if not entry.exists():
        return HTMLResponse(
            "<h1>Support form not built</h1><p>Run <code>npm run build</code> in web-form/.</p>",
            status_code=503,
            headers=headers,
        )
    candidate = (dist / path.lstrip("/")).resolve()
    if candidate.is_file() and candidate.is_relative_to(dist.resolve()):
        # The embeddable script is a module: browsers fetch it with CORS from other sites.
        return FileResponse(candidate, headers=page | {"access-control-allow-origin": "*"})
    return FileResponse(entry, headers=headers)
