"""The closed list of licence identifiers a topic's ``facts.license`` may use.

Identifiers are SPDX short ids (https://spdx.org/licenses/), the ones technology
projects actually ship under. A licence missing from SPDX (several source-available
licences are) is written ``LicenseRef-<name>``, as SPDX itself prescribes; software
sold under a vendor's own terms is ``proprietary``. Several licences combine with
`` OR `` (the user chooses, as for Rust's ``MIT OR Apache-2.0``) or `` AND ``.
"""

from __future__ import annotations

import re

__all__ = ["PROPRIETARY", "SPDX_IDS", "check_license"]

PROPRIETARY = "proprietary"

# Split on whitespace: a list literal of 88 quoted ids would read far worse.
_IDS = """
0BSD AFL-3.0 AGPL-3.0-only AGPL-3.0-or-later Apache-1.1 Apache-2.0 APSL-2.0
Artistic-1.0 Artistic-2.0 BlueOak-1.0.0 BSD-1-Clause BSD-2-Clause BSD-2-Clause-Patent
BSD-3-Clause BSD-3-Clause-Clear BSD-4-Clause BSL-1.0 BUSL-1.1 CC-BY-3.0 CC-BY-4.0
CC-BY-SA-3.0 CC-BY-SA-4.0 CC0-1.0 CDDL-1.0 CDDL-1.1 CECILL-2.1 CPL-1.0 curl
ECL-2.0 EFL-2.0 Elastic-2.0 EPL-1.0 EPL-2.0 EUPL-1.1 EUPL-1.2 FSL-1.1-ALv2
FSL-1.1-MIT FTL GFDL-1.3-only GFDL-1.3-or-later GPL-2.0-only GPL-2.0-or-later
GPL-3.0-only GPL-3.0-or-later HPND ICU IJG IPL-1.0 ISC JSON LGPL-2.0-only
LGPL-2.0-or-later LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0-only LGPL-3.0-or-later
Libpng LPL-1.02 MIT MIT-0 MPL-1.1 MPL-2.0 MPL-2.0-no-copyleft-exception MS-PL MS-RL
NCSA OFL-1.1 OpenSSL OSL-3.0 PHP-3.0 PHP-3.01 PostgreSQL PSF-2.0 Python-2.0
Python-2.0.1 Ruby SISSL SSPL-1.0 Unicode-3.0 Unicode-DFS-2016 Unlicense UPL-1.0
Vim W3C W3C-20150513 X11 Zlib ZPL-2.1
"""
SPDX_IDS = frozenset(_IDS.split())
_REF = re.compile(r"LicenseRef-[A-Za-z0-9.-]+")
_BY_LOWER = {s.lower(): s for s in SPDX_IDS}


def check_license(value: str) -> str:
    """``value`` if it is an SPDX id from the list, ``proprietary``, a
    ``LicenseRef-`` id, or such ids joined by `` OR ``/`` AND ``; else ValueError.

    >>> check_license("MIT OR Apache-2.0")
    'MIT OR Apache-2.0'
    >>> check_license("Apache 2.0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 'Apache 2.0' is not an SPDX licence id ...; did you mean 'Apache-2.0'?
    """
    value = value.strip()
    if value == PROPRIETARY:
        return value
    for part in re.split(r" (?:OR|AND) ", value):
        if part in SPDX_IDS or _REF.fullmatch(part):
            continue
        guess = _BY_LOWER.get(re.sub(r"[\s_]+", "-", part.strip()).lower())
        hint = f"; did you mean {guess!r}?" if guess else f"; or write {PROPRIETARY!r}"
        raise ValueError(
            f"{part!r} is not an SPDX licence id from the list (graph/licenses.py){hint}"
        )
    return value
