"""Whatever a provider calls a sender (a WhatsApp `wa_id`, a WAHA chat id, a number as a person typed it) as
an E.164 phone number: the one form the registry and the tickets know senders by."""

from __future__ import annotations

import re

import phonenumbers


def normalize_phone(value: str | None, default_region: str = "US", *, international: bool = False) -> str | None:
    """E.164 form of a phone number, else None.

    `international=True` for provider ids (WhatsApp `wa_id`, WAHA `1650…@c.us`): digits that always start
    with the country code, without '+'. Otherwise the text is read as a person typed it ('(555) 010-0101',
    '07700 900123') in `default_region`, falling back to reading the digits as international. Possible
    (not necessarily assigned) numbers are accepted, so that test ranges such as 555 work.
    """
    if not value:
        return None
    text = str(value).strip()
    if "@" in text:
        text, domain = text.split("@", 1)
        if domain not in {"c.us", "s.whatsapp.net"}:  # groups (@g.us), linked ids (@lid) are not phones
            return None
        international = True
    text = text.split(":", 1)[0]  # multi-device suffix: 15551234567:12@s.whatsapp.net
    digits = re.sub(r"[^\d+]", "", text)
    if not re.fullmatch(r"\+?\d{6,17}", digits):
        return None
    attempts: list[tuple[str, str | None]]
    if digits.startswith("+"):
        attempts = [(digits, None)]
    elif international:
        attempts = [("+" + digits, None)]
    else:
        attempts = [(text, default_region), ("+" + digits, None)]
    for candidate, region in attempts:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None
