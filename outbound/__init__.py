"""Outbound: what we send — acknowledgements and replies — and the rules that keep it from looping.

Sending is an outbox: the pipeline stores the outbound message (state `queued`) in the same transaction as the
ticket, and the `send_outbound` actor delivers it after the commit, once (state moves to `sent`).
"""
