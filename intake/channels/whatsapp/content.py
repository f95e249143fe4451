"""What a Cloud API message of each type says: text a dispatcher can read plus the structured facts in `extra`.

Media become `AttachmentRef`s with the Graph media id, fetched later by the media downloader.
"""

from __future__ import annotations

from intake.channels.chat_message import ChatContent, location_text, reaction
from intake.channels.whatsapp.media import FAILED_PREFIX
from intake.core.models import AttachmentRef

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
    "application/pdf": "pdf",
}


def describe_content(message: dict, value_errors: list | None = None) -> ChatContent:
    """Text, attachments, auto reason, quoted id and extra facts for one message of any known type."""
    kind = message.get("type")
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return ChatContent(text=body.get("body", ""))
    if kind in MEDIA_TYPES:
        return _media(kind, body, message["id"])
    if kind == "location":
        return ChatContent(text=location_text(body), extra={"location": body})
    if kind == "contacts":
        return _contacts(message.get("contacts") or [])
    if kind == "interactive":
        return _interactive(body, value_errors)
    if kind == "button":
        return ChatContent(text=body.get("text", ""), extra={"button_payload": body.get("payload")})
    if kind == "reaction":
        emoji = body.get("emoji") or ""
        content = reaction(emoji, body.get("message_id"))
        content.extra = {"reaction": emoji or None}
        return content
    if kind == "order":
        items = ", ".join(
            f"{i.get('quantity')} × {i.get('product_retailer_id')}" for i in body.get("product_items", [])
        )
        return ChatContent(text=f"Order: {items}. {body.get('text') or ''}".strip(), extra={"order": body})
    if kind == "edit":
        inner = dict(body.get("message") or {}, id=message["id"])
        content = describe_content(inner) if inner.get("type") else ChatContent()
        content.reply_to = body.get("original_message_id")
        content.extra["edits"] = body.get("original_message_id")
        return content
    if kind == "revoke":
        original = body.get("original_message_id")
        return ChatContent(auto="message-revoked", reply_to=original, extra={"revokes": original})
    if kind == "system":
        return ChatContent(text=body.get("body", ""), auto="whatsapp-system", extra={"system": body})
    if kind == "request_welcome":
        return ChatContent(auto="welcome-request")
    errors = message.get("errors") or value_errors or []
    titles = "; ".join(str(e.get("title") or e.get("message")) for e in errors if isinstance(e, dict))
    return ChatContent(
        text=f"[WhatsApp could not deliver this message's content: {titles or kind}]",
        extra={"errors": errors, "unsupported": body or None},
    )


def _media(kind: str, body: dict, message_id: str) -> ChatContent:
    mime = (body.get("mime_type") or "application/octet-stream").split(";")[0].strip()
    name = body.get("filename") or f"{kind}-{body.get('id') or message_id}.{_EXTENSIONS.get(mime, 'bin')}"
    # Only the Graph media id is fetched (with our token, from graph_base_url). A `url` without an id is not
    # one of ours to fetch: handing it to the downloader would take the WAHA-by-URL path.
    media_id = body.get("id") if isinstance(body.get("id"), str) and body.get("id") else None
    attachment = AttachmentRef(
        name=name,
        content_type=mime,
        media_id=media_id,
        note="not fetched yet" if media_id else f"{FAILED_PREFIX} the message has no media id",
    )
    extra = {"media": {k: body[k] for k in ("id", "sha256", "url", "voice", "animated") if k in body}}
    return ChatContent(text=body.get("caption") or "", attachments=[attachment], extra=extra)


def _contacts(contacts: list) -> ChatContent:
    shown = []
    for contact in contacts:
        name = (contact.get("name") or {}).get("formatted_name") or "unnamed"
        phones = ", ".join(p.get("phone", "") for p in contact.get("phones") or [])
        shown.append(f"{name} ({phones})" if phones else name)
    return ChatContent(text="Shared contact: " + "; ".join(shown), extra={"contacts": contacts})


def _interactive(body: dict, value_errors: list | None) -> ChatContent:
    kind = body.get("type")
    reply = body.get(kind) if isinstance(body.get(kind), dict) else {}
    if kind == "button_reply":
        return ChatContent(text=reply.get("title", ""), extra={"reply_id": reply.get("id")})
    if kind == "list_reply":
        text = " — ".join(filter(None, [reply.get("title"), reply.get("description")]))
        return ChatContent(text=text, extra={"reply_id": reply.get("id")})
    if kind == "nfm_reply":
        return ChatContent(text=reply.get("body", ""), extra={"flow_response": reply.get("response_json")})
    if kind:
        return ChatContent(
            text=f"[{kind.replace('_', ' ')}: {reply.get('response', '')}]".replace(": ]", "]"),
            auto="interactive-system",
            extra={"interactive": body},
        )
    titles = "; ".join(str(e.get("title")) for e in value_errors or [] if isinstance(e, dict))
    return ChatContent(
        text=f"[interactive reply WhatsApp could not read: {titles or 'no content'}]",
        extra={"errors": value_errors or []},
    )
