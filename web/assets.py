"""The pages' styles, scripts, fonts and images, served by the app itself (no CDN).

GOV.UK Frontend and MoJ Frontend come from npm (web/package.json, installed by
the set-up with npm ci); their stylesheets ask for fonts and images under
/assets/, so both packages' asset folders are served there.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
NODE_MODULES = WEB_DIR / "node_modules"
GOVUK = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"
MOJ = NODE_MODULES / "@ministryofjustice" / "frontend" / "moj"
OWN = WEB_DIR / "static"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"


class LayeredStaticFiles(StaticFiles):
    """Files from the first of several directories that holds them."""

    def __init__(self, *directories: Path) -> None:
        super().__init__(directory=directories[0], check_dir=False)
        self.all_directories = list(directories)


def installed() -> bool:
    return (GOVUK / "govuk-frontend.min.css").is_file() and (MOJ / "moj-frontend.min.css").is_file()


def mounts() -> list[Mount]:
    if not installed():
        logger.warning("the pages' styles are missing from %s: run make setup", NODE_MODULES)
    return [
        Mount("/assets/govuk", StaticFiles(directory=GOVUK, check_dir=False)),
        Mount("/assets/moj", StaticFiles(directory=MOJ, check_dir=False)),
        Mount("/assets/ppud", StaticFiles(directory=OWN)),
        Mount("/assets", LayeredStaticFiles(GOVUK / "assets", MOJ / "assets")),
    ]
