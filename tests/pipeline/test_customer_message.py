"""`ledgersync check ORG --message [--lang nb|en]` against the sandbox: the customer's message on
stdout for a token the customer must mend, one sentence on stderr when there is nothing to mend."""

from __future__ import annotations

import json

from pipeline_harness import Pipeline

from shared.help_pages import DEV_AUTH, HELP_USER_KEY


def no_secrets(pipeline: Pipeline, label: str, output: str) -> None:
    assert pipeline.token(label) not in output
    assert pipeline.truth["consumer_token"] not in output


async def test_an_inactive_add_on_gets_the_message_in_english(pipeline: Pipeline) -> None:
    await pipeline.add_org("Fjordlys AS", "integrations_off")

    code, out, err = await pipeline.ledgersync("check", "Fjordlys AS", "--message", "--lang", "en")

    assert code == 1, err
    assert out.startswith("Subject: The Tripletex connection for Fjordlys AS: what to change\n")
    assert "1. Activate the add-on “Integrations”" in out
    assert "Company → My subscription" in out
    assert f"   Help: {HELP_USER_KEY}\n" in out
    assert "2. " not in out
    assert err == ""
    no_secrets(pipeline, "integrations_off", out + err)


async def test_a_rejected_token_gets_the_message_in_norwegian_by_default(
    pipeline: Pipeline,
) -> None:
    org_id = await pipeline.add_org("Utløpt AS", "expired")

    code, out, err = await pipeline.ledgersync("check", str(org_id), "--message")
    _, as_json, _ = await pipeline.ledgersync("check", str(org_id), "--message", "--json")

    assert code == 1, err
    assert out.startswith("Emne: Tripletex-tilkoblingen for Utløpt AS")
    assert "Selskap → Ansatte" in out
    assert "«Ny nøkkel»" in out
    assert "applikasjonsnavnet vi har gitt dere" in out, "no application name is configured"
    assert f"Hjelp: {DEV_AUTH}" in out
    message = json.loads(as_json)
    assert message["lang"] == "nb"
    assert out == f"Emne: {message['subject']}\n\n{message['body']}"
    no_secrets(pipeline, "expired", out + err + as_json)


async def test_nothing_for_the_customer_is_said_on_stderr(pipeline: Pipeline) -> None:
    await pipeline.add_org("Readable", "good")

    code, out, err = await pipeline.ledgersync("check", "Readable", "--message", "--lang", "en")

    assert code == 0
    assert out == ""
    assert err.strip() == (
        "There is nothing for the customer to fix: no check asks anything of the customer."
    )


async def test_the_application_name_and_the_help_addresses(pipeline: Pipeline) -> None:
    org_id = await pipeline.add_org("Named", "not_shared")
    env = pipeline.env | {"LEDGERSYNC_APPLICATION_NAME": "Ledgersync Onboarding"}
    pipeline.env = env

    code, out, _ = await pipeline.ledgersync("check", str(org_id), "--message", "--lang", "en")
    _, checklist, _ = await pipeline.ledgersync("check", str(org_id))
    _, as_json, _ = await pipeline.ledgersync("check", str(org_id), "--json")

    assert code == 1
    assert "type the application name “Ledgersync Onboarding” exactly" in out
    assert f"Create an employee token <{HELP_USER_KEY}>" in checklist
    token_check = next(r for r in json.loads(as_json) if r["name"] == "employee_token")
    assert {"title": "Create an employee token", "url": HELP_USER_KEY} in token_check["links"]
    assert token_check["help"][0] == "Create an employee token", "help keeps the titles"


async def test_lang_without_message_is_a_usage_error(pipeline: Pipeline) -> None:
    code, out, err = await pipeline.ledgersync("check", "Anything", "--lang", "en")
    assert code == 2
    assert out == ""
    assert "--message" in err
