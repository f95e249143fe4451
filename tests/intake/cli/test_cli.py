"""The command line as a user runs it: demo, ingest, tickets, quarantine."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from intake.cli.main import cli
from intake.core.settings import get_settings
from tests.conftest import SAMPLES


def test_demo_from_a_fresh_checkout_prints_tickets_for_the_samples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as a user would: nothing in the working directory but the demo's own files
    monkeypatch.delenv("INTAKE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["demo", "--samples", str(SAMPLES)], catch_exceptions=False)
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert re.search(r"new tickets: (\d+)", result.output)
    assert int(re.search(r"new tickets: (\d+)", result.output).group(1)) >= 20
    assert "EML-000001" in result.output and "WA-000001" in result.output
    assert re.search(r"\d+ tickets, \d+ in the triage queue", result.output)
    assert (tmp_path / "intake-demo" / "intake.db").is_file()


def test_ingesting_the_same_folder_twice_only_counts_duplicates(cli_env):
    cli_env("registry", "import", str(SAMPLES / "registry.yaml"))
    first = cli_env("ingest", str(SAMPLES / "email"))
    second = cli_env("ingest", str(SAMPLES / "email"))
    new = int(re.search(r"new tickets: (\d+)", first).group(1))
    assert new >= 20 and "threaded replies: " in first
    assert "new tickets: 0" in second and f"duplicates: {len(list((SAMPLES / 'email').glob('*.eml')))}" in second
    tickets = json.loads(cli_env("tickets", "list", "--format", "json"))
    assert len(tickets) == new
    shown = json.loads(cli_env("tickets", "show", tickets[-1]["number"], "--format", "json"))
    assert shown["messages"] and shown["timeline"][0]["kind"] == "created"
    assert shown["classification"]["evidence"]


def test_quarantine_keeps_bad_input_and_replays_it_once_fixed(cli_env, tmp_path, monkeypatch):
    bad = tmp_path / "whatsapp" / "broken.json"
    bad.parent.mkdir()
    bad.write_text('{"object": "whatsapp_business_account", "entry": [')
    output = cli_env("ingest", str(bad), expect=4)  # 4: some items quarantined
    assert "quarantined: 1" in output
    listed = json.loads(cli_env("quarantine", "list", "--format", "json"))
    assert len(listed) == 1 and "JSON" in listed[0]["error"]
    shown = json.loads(cli_env("quarantine", "show", str(listed[0]["id"])))
    assert shown["state"] == "quarantined"
    # Still broken: a retry puts it back, it fails again, and it is kept.
    assert "1 quarantined again" in cli_env("quarantine", "retry", "--all")


def test_ingest_exit_codes_say_nothing_found_and_some_quarantined(cli_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "new tickets: 0" in cli_env("ingest", str(empty), expect=3)  # 3: nothing found to ingest
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for sample in sorted((SAMPLES / "email").glob("*.eml"))[:2]:
        (mixed / sample.name).write_bytes(sample.read_bytes())
    assert "quarantined: 0" in cli_env("ingest", str(mixed))  # 0: all stored and processed
    assert "duplicates: 2" in cli_env("ingest", str(mixed))  # duplicates were found: still 0
    bad = tmp_path / "whatsapp" / "broken.json"
    bad.parent.mkdir()
    bad.write_text("{")
    output = cli_env("ingest", str(mixed), str(bad), expect=4)  # 4: some quarantined, the rest duplicates
    assert "quarantined: 1" in output and "duplicates: 2" in output


def test_the_ingest_help_documents_its_exit_codes():
    shown = CliRunner().invoke(cli, ["ingest", "--help"]).output
    assert all(f"  {code}  " in shown for code in range(5)) and "nothing found to ingest" in shown


def test_quarantine_retry_processes_an_item_once_its_cause_is_fixed(cli_env, tmp_path, monkeypatch):
    import yaml

    from intake.channels.qcontact.mapping import DEFAULT_MAPPING

    good = yaml.safe_load(DEFAULT_MAPPING.read_text())
    wrong = good | {
        "case": good["case"] | {"phone": ["customer.tel"], "email": ["customer.mail"], "contact_id": ["customer.ref"]}
    }
    mapping = tmp_path / "qcontact-mapping.yaml"
    mapping.write_text(yaml.safe_dump(wrong))  # ops mapped the sender to fields QContact does not send
    monkeypatch.setenv("INTAKE_QCONTACT__MAPPING_FILE", str(mapping))
    get_settings.cache_clear()
    sample = SAMPLES / "qcontact" / "01-webhook-case-created-leak.json"
    assert "quarantined: 1" in cli_env("ingest", "--channel", "qcontact", str(sample), expect=4)
    [item] = json.loads(cli_env("quarantine", "list", "--format", "json"))
    assert "names no sender" in item["error"] and "customer.tel" in item["error"]
    assert json.loads(cli_env("tickets", "list", "--format", "json")) == []

    mapping.write_text(yaml.safe_dump(good))  # the fix
    assert "retried 1: 1 processed, 0 quarantined again" in cli_env("quarantine", "retry", str(item["id"]))
    [ticket] = json.loads(cli_env("tickets", "list", "--format", "json"))
    assert ticket["number"] == "QC-000001"
    assert json.loads(cli_env("quarantine", "list", "--format", "json")) == []


def test_ingest_refuses_what_it_cannot_read_with_a_clear_error(tmp_path, monkeypatch, stub_broker):
    monkeypatch.setenv("INTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    mapping = tmp_path / "broken.yaml"
    mapping.write_text("case: [\n")
    monkeypatch.setenv("INTAKE_QCONTACT__MAPPING_FILE", str(mapping))
    get_settings.cache_clear()
    stray = tmp_path / "stray.json"
    stray.write_text("{}")
    runner = CliRunner()
    no_channel = runner.invoke(cli, ["ingest", str(stray)])
    broken = runner.invoke(
        cli, ["ingest", "--channel", "qcontact", str(SAMPLES / "qcontact" / "01-webhook-case-created-leak.json")]
    )
    get_settings.cache_clear()
    assert no_channel.exit_code == 1 and "pass --channel" in no_channel.output
    assert broken.exit_code == 1 and "QContact mapping unusable" in broken.output and "broken.yaml" in broken.output


def test_staff_create_a_ticket_that_is_classified_and_numbered_int(cli_env):
    cli_env("registry", "import", str(SAMPLES / "registry.yaml"))
    output = cli_env(
        "tickets",
        "create",
        "--by",
        "dispatcher-ana",
        "--requester",
        "Maria@Example.net",
        "--text",
        "Tenant phoned: water is pouring from the kitchen ceiling, please hurry",
    )
    assert output.startswith("INT-000001")
    shown = json.loads(cli_env("tickets", "show", "INT-000001", "--format", "json"))
    assert shown["requester"] == "maria@example.net" and shown["channel"] == "internal"
    assert shown["subcategory"] == "plumbing" and shown["urgency"] == "urgent"
    assert (shown["property_id"], shown["unit"]) == ("HBR", "101")  # from the tenant's registered tenancy
    # A second report from the same tenant is a new ticket, never threaded onto the first.
    cli_env(
        "tickets",
        "create",
        "--by",
        "dispatcher-ana",
        "--requester",
        "maria@example.net",
        "--text",
        "Also the bell rings",
    )
    assert [t["number"] for t in json.loads(cli_env("tickets", "list", "--format", "json"))] == [
        "INT-000002",
        "INT-000001",
    ]


def test_staff_create_refuses_an_unusable_requester(tmp_path, monkeypatch, stub_broker):
    monkeypatch.setenv("INTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    result = CliRunner().invoke(
        cli, ["tickets", "create", "--by", "ana", "--requester", "not a contact", "--text", "x"]
    )
    get_settings.cache_clear()
    assert result.exit_code == 1 and "neither an email address nor a phone number" in result.output


def test_demo_never_empties_a_folder_it_did_not_make(tmp_path, monkeypatch):
    monkeypatch.delenv("INTAKE_REDIS_URL", raising=False)
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["demo", "--samples", str(SAMPLES), "--workdir", str(precious)])
    get_settings.cache_clear()
    assert result.exit_code == 1 and "not made by `intake demo`" in result.output
    assert (precious / "todo.txt").read_text() == "keep me"
