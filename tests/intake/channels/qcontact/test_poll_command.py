"""`intake qcontact poll` as a user runs it (its own process, no Redis): the cases it stores are processed into
tickets before it exits, not left to the service's reconciler minutes later."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from store.models import RawItem
from tests.conftest import ROOT
from tests.intake.channels.qcontact.standin import EMAIL, PASSWORD, case

INTAKE = str(Path(sys.executable).with_name("intake"))


@pytest.mark.slow  # `intake qcontact poll` as its own process
async def test_the_poll_command_processes_what_it_stored_before_it_exits(db, tmp_path, standin):
    standin.cases = [case(n) for n in range(3)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")} | {
        "INTAKE_DATABASE_URL": db.url,
        "INTAKE_RULES_DIR": str(ROOT / "rules"),
        "INTAKE_DATA_DIR": str(tmp_path / "data"),
        "INTAKE_QCONTACT__BASE_URL": standin.base_url,
        "INTAKE_QCONTACT__EMAIL": EMAIL,
        "INTAKE_QCONTACT__PASSWORD": PASSWORD,
    }
    process = await asyncio.create_subprocess_exec(
        INTAKE,
        "qcontact",
        "poll",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)  # the stand-in answers meanwhile
    assert process.returncode == 0, err.decode()
    assert '"accepted": 3' in out.decode()
    with db.session() as session:
        items = session.execute(select(RawItem.state, RawItem.outcome).where(RawItem.channel == "qcontact")).all()
    assert [state for state, _ in items] == ["processed"] * 3  # the old command left them pending
    assert all(outcome.startswith("new ticket QC-") for _, outcome in items)
