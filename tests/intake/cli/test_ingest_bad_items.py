"""`intake ingest` as a user runs it: one bad file or mbox entry never stops the others (#18 defect 4)."""

from __future__ import annotations

from sqlalchemy import select

from store.models import RawItem, Ticket


def mail(number: int, message_id: str, body: str = "The kitchen tap is dripping.") -> bytes:
    return (
        f"From: Tenant {number} <tenant{number}@example.net>\r\nTo: help@example.com\r\n"
        f"Subject: Tap {number}\r\nMessage-ID: {message_id}\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
        f"\r\n{body}\r\n"
    ).encode()


def _items(db) -> list[tuple[str, str]]:
    with db.session() as session:
        return [(r.channel_id[:18], r.state) for r in session.execute(select(RawItem).order_by(RawItem.id)).scalars()]


def test_a_message_id_over_998_characters_neither_aborts_nor_loses_the_others(ingest, db, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    long_id = "<" + "x" * 1200 + "@example.net>"
    (folder / "a-good.eml").write_bytes(mail(1, "<one@example.net>"))
    (folder / "b-long-id.eml").write_bytes(mail(2, long_id))
    (folder / "c-good.eml").write_bytes(mail(3, "<three@example.net>"))
    box = b"".join(
        b"From MAILER-DAEMON Mon Dec  7 10:00:00 2026\n" + m.replace(b"\r\n", b"\n") + b"\n"
        for m in (
            mail(4, "<four@example.net>"),
            mail(5, "<" + "y" * 2000 + "@x>"),
            mail(6, "<six\x00@example.net>"),
            mail(7, "<seven@example.net>"),
        )
    )
    (folder / "d-box.mbox").write_bytes(box)

    code, out, err = ingest(folder)

    assert code == 0, (out, err)
    assert "new tickets: 7" in out
    states = _items(db)
    assert len(states) == 7 and {state for _, state in states} == {"processed"}
    assert sum(key.startswith("message-id-sha256:") for key, _ in states) == 3
    with db.session() as session:
        assert session.execute(select(Ticket.id)).all().__len__() == 7
    # ingesting again: the hashed keys are stable, so everything is a duplicate
    code, out, _ = ingest(folder)
    assert code == 0 and "duplicates: 7" in out


def test_a_file_with_a_very_long_path_is_stored_with_the_others(ingest, db, tmp_path):
    folder = tmp_path / ("deep-" * 30) / ("folder-" * 20)
    folder.mkdir(parents=True)
    (folder / "a.eml").write_bytes(mail(1, "<one@example.net>"))
    (tmp_path / "b.eml").write_bytes(mail(2, "<two@example.net>"))
    code, out, err = ingest(folder / "a.eml", tmp_path / "b.eml")
    assert code == 0 and "new tickets: 2" in out, (out, err)
