"""The words of the message to the customer, in Norwegian (bokmål) and English.

Every instruction is one `../shared/tripletex-api.md` §10 (and §4.3) states: the add-on
“Integrasjoner”/“Integrations” under Selskap → Mitt abonnement, from the Smart package up; the
manual user key under Selskap → Ansatte → the employee → API-tilgang → Ny nøkkel, with the
application name typed exactly (case-sensitive) under “Tilpasset oppsett”, the accesses chosen, and
the key shown once; the accounting office's key (“Regnskapskontorets brukernøkkel”). Where the doc
names a screen label in one language only, the other language describes it without quoting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.help_pages import ACCOUNTANT_KEY, DEV_AUTH, HELP_USER_KEY


class Lang(StrEnum):
    """A language the message is written in."""

    NB = "nb"
    EN = "en"


class Fix(StrEnum):
    """One thing the customer must do in Tripletex."""

    #: activate the Integrations add-on
    ADDON = "addon"
    #: the token is rejected: create a new one for this application
    NEW_TOKEN = "new_token"  # noqa: S105 (a fix's name)
    #: the token now acts as another user: say which user's token is meant
    WHICH_USER = "which_user"
    #: Tripletex refused a call (403): a new token with every access
    ALL_ACCESS = "all_access"
    #: the token reaches no company to read, or not the chosen one
    COMPANY = "company"
    #: the token may not read the ledger
    LEDGER_RIGHTS = "ledger_rights"
    #: Tripletex shows no postings: confirm where the accounts are kept
    CONFIRM_COMPANY = "confirm_company"


@dataclass(frozen=True, slots=True)
class Words:
    """Everything a message says in one language; `{org}` and `{app}` are filled in."""

    subject_label: str
    subject: str
    greeting: str
    lead: str
    #: one step per fix; those in `with_recipe` are followed by `recipe`
    steps: dict[Fix, str]
    recipe: str
    #: after the recipe of `Fix.COMPANY`: the accounting office's key (§4.3)
    accountant: str
    our_application_name: str
    #: how a name the customer types is quoted
    quote: str
    help_label: str
    closing: str
    regards: str
    with_recipe: frozenset[Fix] = frozenset(
        {Fix.NEW_TOKEN, Fix.WHICH_USER, Fix.ALL_ACCESS, Fix.COMPANY, Fix.LEDGER_RIGHTS}
    )


#: the help pages each step points to (the same in both languages: the doc gives one of each)
URLS: dict[Fix, tuple[str, ...]] = {
    Fix.ADDON: (HELP_USER_KEY,),
    Fix.NEW_TOKEN: (HELP_USER_KEY, DEV_AUTH),
    Fix.WHICH_USER: (HELP_USER_KEY,),
    Fix.ALL_ACCESS: (HELP_USER_KEY,),
    Fix.COMPANY: (HELP_USER_KEY, ACCOUNTANT_KEY),
    Fix.LEDGER_RIGHTS: (HELP_USER_KEY,),
    Fix.CONFIRM_COMPANY: (),
}

NB = Words(
    subject_label="Emne",
    subject="Tripletex-tilkoblingen for {org}: dette må endres",
    greeting="Hei,",
    lead="For at vi skal kunne hente regnskapet til {org} fra Tripletex, må dette gjøres i "
    "Tripletex:",
    steps={
        Fix.ADDON: "Aktiver tilleggstjenesten «Integrasjoner»: en administrator i selskapet åpner "
        "Selskap → Mitt abonnement i Tripletex og aktiverer «Integrasjoner». Tilleggstjenesten "
        "finnes fra pakken Smart og oppover. Uten den kan det ikke lages API-nøkler, og vi kan "
        "ikke koble til.",
        Fix.NEW_TOKEN: "Lag en ny API-nøkkel (brukernøkkel) til oss. Tripletex godtar ikke "
        "nøkkelen vi har: den er feilskrevet, utløpt eller slettet, eller den er laget for en "
        "annen applikasjon.",
        Fix.WHICH_USER: "Si fra hvilken brukers nøkkel vi skal bruke: nøkkelen vi har nå, hører "
        "til en annen bruker enn den vi koblet til med. Skal det være en annen bruker, lager dere "
        "en ny nøkkel på den brukeren.",
        Fix.ALL_ACCESS: "Lag en ny nøkkel med flere tilganger: Tripletex nekter nøkkelen vi har "
        "noe vi må lese. Gi den nye nøkkelen alle tilganger.",
        Fix.COMPANY: "Lag en nøkkel som når selskapet vi skal hente regnskapet til: nøkkelen vi "
        "har, når ikke det selskapet. Lag den i det selskapets Tripletex, på en bruker med tilgang "
        "til selskapet.",
        Fix.LEDGER_RIGHTS: "Lag en ny nøkkel med tilgang til regnskapet: nøkkelen vi har, får "
        "ikke lese hovedboken. Lag den på en bruker som har tilgang til regnskapet, og gi nøkkelen "
        "tilgang til regnskapet (for eksempel alle tilganger).",
        Fix.CONFIRM_COMPANY: "Bekreft at regnskapet til {org} føres i det Tripletex-selskapet "
        "dere har gitt oss tilgang til: Tripletex viser ingen posteringer der ennå. Føres det i et "
        "annet selskap, si fra hvilket.",
    },
    recipe="Slik gjør dere det: åpne Selskap → Ansatte i Tripletex og den ansatte nøkkelen skal "
    "høre til (en nøkkel får aldri flere rettigheter enn brukeren den lages på). Velg fanen "
    "«API-tilgang» og «Ny nøkkel». Velg applikasjonen vår i listen hvis den står der; ellers "
    "kryss av for «Tilpasset oppsett» og skriv applikasjonsnavnet {app} nøyaktig slik det står "
    "(store og små bokstaver må stemme). Velg tilgangene nøkkelen skal ha, gi den et navn og "
    "opprett den. Tripletex viser nøkkelen bare én gang: kopier hele nøkkelen og send den trygt "
    "til oss.",
    accountant="Er dere et regnskapskontor og vi skal hente en klients regnskap, kan dere i "
    "stedet lage nøkkelen i regnskapskontorets egen Tripletex og krysse av for "
    "«Regnskapskontorets brukernøkkel»; det krever rettigheten brukeradministrator i "
    "klientkontoer.",
    our_application_name="applikasjonsnavnet vi har gitt dere",
    quote="«{}»",
    help_label="Hjelp",
    closing="Si fra når dette er gjort, så sjekker vi tilkoblingen igjen.",
    regards="Med vennlig hilsen",
)

EN = Words(
    subject_label="Subject",
    subject="The Tripletex connection for {org}: what to change",
    greeting="Hello,",
    lead="So that we can read the accounts of {org} from Tripletex, please change the following "
    "in Tripletex:",
    steps={
        Fix.ADDON: "Activate the add-on “Integrations”: a company administrator opens Company → "
        "My subscription in Tripletex and activates “Integrations”. The add-on is available from "
        "the Smart package upward. Without it, no API keys can be created and we cannot connect.",
        Fix.NEW_TOKEN: "Create a new API key (user key) for us. Tripletex does not accept the key "
        "we have: it is mistyped, expired or revoked, or it was created for another application.",
        Fix.WHICH_USER: "Tell us which user's key we should use: the key we have now belongs to "
        "another user than the one we connected with. If it should be another user, create a new "
        "key on that user.",
        Fix.ALL_ACCESS: "Create a new key with more access: Tripletex refuses the key we have "
        "something we need to read. Give the new key “All accesses”.",
        Fix.COMPANY: "Create a key that reaches the company whose accounts we should read: the key "
        "we have does not reach that company. Create it in that company's Tripletex, on a user "
        "with access to the company.",
        Fix.LEDGER_RIGHTS: "Create a new key with access to the accounts: the key we have may "
        "not read the ledger. Create it on a user who has access to the accounts, and give the key "
        "access to them (for example “All accesses”).",
        Fix.CONFIRM_COMPANY: "Confirm that the accounts of {org} are kept in the Tripletex "
        "company you gave us access to: Tripletex shows no postings there yet. If they are kept "
        "in another company, tell us which.",
    },
    recipe="How: in Tripletex, open Company → Employees (Selskap → Ansatte) and the employee the "
    "key should belong to (a key never has more rights than the user it is created on). Open the "
    "tab “API access” (API-tilgang) and choose “New token” (Ny nøkkel). Pick our application "
    "from the list if it is there; otherwise tick “Adapted setup” (Tilpasset oppsett) and type "
    "the application name {app} exactly as written (it is case-sensitive). Choose the accesses "
    "the key should have, name the key and create it. Tripletex shows the key only once: copy "
    "all of it and send it to us securely.",
    accountant="If you are an accounting office and we should read a client's accounts, you may "
    "instead create the key in the accounting office's own Tripletex and tick the box "
    "“Regnskapskontorets brukernøkkel” (the accounting office's user key); that needs the right "
    "“user administrator in client accounts”.",
    our_application_name="the application name we gave you",
    quote="“{}”",
    help_label="Help",
    closing="Please let us know when this is done, and we will check the connection again.",
    regards="Kind regards",
)

#: the words of each language
WORDS: dict[Lang, Words] = {Lang.NB: NB, Lang.EN: EN}
