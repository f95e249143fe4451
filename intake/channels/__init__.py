"""The channels: one package (or module) each — email, whatsapp, waha, qcontact, internal — found by `registry`.

Shared by them: `base` (the `Channel` contract and its defaults), `payload` (splitting a webhook body or payload
file into raw items), `webhook` (a push channel's route and its authentication), `conversation` (the
conversation window chat messages thread by) and `phone` (senders as E.164 numbers).
"""
