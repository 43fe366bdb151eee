"""The Tripletex help pages the checks point to: each page title the checks name, with its address.

The addresses are those `../shared/tripletex-api.md` cites (§10 and its Sources); a title without
one there ("Export a SAF-T file from Tripletex") has none here, and its help stays a title. The
titles are defined here alone, and the checks (`worker/checks/`) put them in a check's `help`.
"""

from __future__ import annotations

from collections.abc import Sequence

#: "API – opprette brukernøkkel": the Integrations add-on and the manual user key [help]
HELP_USER_KEY = "https://hjelp.tripletex.no/hc/no/articles/4409557117713"
#: consumer, employee and session tokens; the application name a key is bound to [dev-auth]
DEV_AUTH = "https://developer.tripletex.no/docs/documentation/authentication-and-tokens/"
#: the accounting office's user key ("Regnskapskontorets brukernøkkel") [help-cert-3.4]
ACCOUNTANT_KEY = "https://www.tripletex.no/sertifisering-kapittel-3-4"

#: the page titles, as the checks name them
ENABLE_INTEGRATIONS = "Enable the Integrations add-on"
CREATE_TOKEN = "Create an employee token"  # noqa: S105 (a page title)
FIND_TOKEN = "Find the employee token"  # noqa: S105 (a page title)
SHARE_TOKEN = "Share the employee token with a third party"  # noqa: S105 (a page title)
ACCESS_RIGHTS = "Give a user access to the accounts"
CLIENT_ACCESS = "Give the accounting office access to a client"
#: no address in the doc: this help stays a title
SAFT_EXPORT = "Export a SAF-T file from Tripletex"

#: page title -> address
URLS: dict[str, str] = {
    ENABLE_INTEGRATIONS: HELP_USER_KEY,
    CREATE_TOKEN: HELP_USER_KEY,
    FIND_TOKEN: HELP_USER_KEY,
    SHARE_TOKEN: DEV_AUTH,
    ACCESS_RIGHTS: HELP_USER_KEY,
    CLIENT_ACCESS: ACCOUNTANT_KEY,
}


def url_of(title: str) -> str | None:
    """The address of a help page, by the title a check names it with; None if none is known."""
    return URLS.get(title)


def with_urls(titles: Sequence[str]) -> list[str]:
    """Each title followed by its address where there is one: `Title <https://…>`."""
    return [f"{title} <{url}>" if (url := url_of(title)) else title for title in titles]
