"""Norwegian names and phrases the generator draws from: parties, months, descriptions."""

from __future__ import annotations

from sandbox.templates import Kind

#: customers a company invoices (index = low bits of a head word)
CUSTOMERS = (
    "Ærlig Økonomi AS",
    "Bjørkly Barnehage",
    "Fjellstuen Hotell AS",
    "Sørlandet Sykehus HF",
    "Kvitfjell Alpinsenter AS",
    "Måløy Sjømat AS",
    "Grønn Gård Økologisk",
    "Trøndelag Tre AS",
    "Lærdal Kommune",
    "Øyeblikk Fotostudio",
    "Hårfin Frisør",
    "Strandå Camping",
    "Bølgen & Moi AS",
    "Nordlys Elektro AS",
    "Vågen Regnskap",
    "Skjærgården Marina AS",
)
#: domestic suppliers
SUPPLIERS = (
    "Bjørnstad Møbler AS",
    "Tine SA",
    "Elkjøp Bedrift",
    "Posten Norge AS",
    "Telenor Norge AS",
    "Circle K Norge",
    "Staples Norge AS",
    "Fjord Kraft AS",
    "Løvenskiold Handel",
    "Byggmakker Ålesund",
    "Mestergrønn Blomster",
    "Gjensidige Forsikring",
    "Kjøkkenkroken AS",
    "Råvarehuset Øst",
    "Tidsskriftsentralen",
    "Flyt Transport AS",
)
#: foreign customers and suppliers (used with foreign currencies)
FOREIGN_PARTIES = (
    "Göteborgs Kaffe AB",
    "Müller & Söhne GmbH",
    "Café Crème SARL",
    "Malmö Träindustri AB",
    "Atlantic Supply Inc.",
    "Hôtel Étoile SA",
    "Københavns Køkken ApS",
    "Zürich Präzision AG",
)
#: Norwegian month names, January first
MONTHS = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)
#: description formats per voucher kind; fields: party, inv, month, year, cur
DESCRIPTIONS: dict[Kind, tuple[str, ...]] = {
    Kind.SALE: ("Faktura {inv} – {party}", "Salg til {party}, faktura {inv}", "Faktura {inv}"),
    Kind.CASH_SALE: ("Dagsoppgjør kasse", "Kontantsalg", "Vipps-salg", "Kortterminal, dagsoppgjør"),
    Kind.PURCHASE: ("Leverandørfaktura – {party}", "Innkjøp fra {party}", "Faktura fra {party}"),
    Kind.FOREIGN_PURCHASE: ("Import fra {party} ({cur})", "Innkjøp i {cur} – {party}"),
    Kind.FOREIGN_SALE: ("Eksportfaktura {inv} – {party}", "Salg i {cur} til {party}"),
    Kind.CUSTOMER_PAYMENT: ("Innbetaling fra {party}", "Innbetaling faktura {inv}"),
    Kind.SUPPLIER_PAYMENT: ("Betaling til {party}", "Utbetaling leverandør – {party}"),
    Kind.SALARY: ("Lønn {month} {year}", "Lønnskjøring {month}"),
    Kind.BANK_FEE: ("Gebyr nettbank", "Kortgebyr {month}", "Årsavgift bedriftskort"),
    Kind.RENT: ("Husleie {month}", "Leie kontorlokaler {month} {year}"),
    Kind.JOURNAL: (
        "Periodisering {month}",
        "Avskrivning {month} {year}",
        "Korrigering av bilag",
        "Avsetning feriepenger {year}",
    ),
}
#: voucher types by id: (id, name)
VOUCHER_TYPES = {
    1: "Utgående faktura",
    2: "Kasse",
    3: "Leverandørfaktura",
    4: "Innbetaling",
    5: "Utbetaling",
    6: "Lønnsbilag",
    7: "Bank",
    8: "Memoriale",
    9: "Manuelt bilag (sandbox)",
}
