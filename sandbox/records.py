"""Models of the dict-shaped DTOs: companies, sessions, whoAmI, annual accounts, ledger rows."""

from __future__ import annotations

from operator import itemgetter

from sandbox.render import Column, Computed, Model, Raw, Ref, amount_column, register
from sandbox.schemas import FALSE, ZERO, url


def item_money(name: str) -> Computed:
    """An amount in øre held in a dict object."""
    return Computed(amount_column(itemgetter(name)))


def plain(name: str, path: str | None, keys: tuple[str, ...], **extra: Column) -> Model:
    """A model over dicts: `keys` hold JSON-ready values; `extra` are refs or special columns."""
    columns: dict[str, Column] = {}
    if path is not None:
        columns |= {"id": Raw("id"), "version": ZERO, "url": url(path, itemgetter("id"))}
    columns |= {key: Raw(key) for key in keys} | extra
    return register(Model(name, path or name, columns, getter=itemgetter))


def dict_ref(model: str, key: str) -> Ref:
    """A reference held in a dict object, to a dict object."""
    return Ref(model, itemgetter(key), key=itemgetter("id"))


ADDRESS = plain("Address", "address", ("addressLine1", "postalCode", "city"))
EMPLOYEE = plain("Employee", "employee", ("firstName", "lastName", "displayName", "email"))
CONSUMER_TOKEN = plain("ConsumerToken", "token/consumer", ("apiConsumerName",))
EMPLOYEE_TOKEN = plain("EmployeeToken", "token/employee", ("apiConsumerName",))
_COMPANY_KEYS = (
    "name",
    "displayName",
    "startDate",
    "endDate",
    "organizationNumber",
    "email",
    "phoneNumber",
    "phoneNumberMobile",
    "faxNumber",
    "type",
    "accountantOrSimilar",
)
_COMPANY_REFS: dict[str, Column] = {
    "address": dict_ref("Address", "address"),
    "currency": Ref("Currency", itemgetter("currency")),
}
COMPANY = plain("Company", "company", _COMPANY_KEYS, **_COMPANY_REFS)
CLIENT = plain(
    "Client",
    "company",
    (*_COMPANY_KEYS, "customerCompanyId", "companyMigration", "invoiceShowDeliveryDate"),
    **_COMPANY_REFS,
)
SESSION = plain(
    "SessionToken",
    "token/session",
    ("expirationDate", "token", "encryptionKey"),
    consumerToken=dict_ref("ConsumerToken", "consumerToken"),
    employeeToken=dict_ref("EmployeeToken", "employeeToken"),
)
WHO_AM_I = plain(
    "LoggedInUserInfo",
    None,
    (
        "employeeId",
        "actualEmployeeId",
        "companyId",
        "language",
        "loggedInWithConnect",
        "employeeIsProxy",
    ),
    employee=dict_ref("Employee", "employee"),
    company=dict_ref("Company", "company"),
)
ANNUAL_ACCOUNT = plain("AnnualAccount", "ledger/annualAccount", ("year", "start", "end"))
_LEDGER_COLUMNS: dict[str, Column] = {
    "account": Ref("Account", itemgetter("account")),
    "sumAmount": item_money("sumAmount"),
    "currency": Ref("Currency", itemgetter("currency")),
    "sumAmountCurrency": item_money("sumAmountCurrency"),
    "openingBalance": item_money("openingBalance"),
    "openingBalanceCurrency": item_money("openingBalanceCurrency"),
    "closingBalance": item_money("closingBalance"),
    "closingBalanceCurrency": item_money("closingBalanceCurrency"),
    "balanceOutInAccountCurrency": FALSE,
    "postings": Ref("Posting", lambda obj: (), many=True),
}
LEDGER_ACCOUNT = plain("LedgerAccount", None, (), **_LEDGER_COLUMNS)
BALANCE_SHEET_ACCOUNT = plain(
    "BalanceSheetAccount",
    None,
    ("startDate", "endDate"),
    account=Ref("Account", itemgetter("account")),
    balanceIn=item_money("balanceIn"),
    balanceChange=item_money("balanceChange"),
    balanceOut=item_money("balanceOut"),
)
