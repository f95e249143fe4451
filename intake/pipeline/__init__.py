"""The processing pipeline a worker runs for every stored raw item.

    channel ─► accept(raw) ─► raw_items (pending) ─► process_inbound(raw_id) actor ─► process_raw
               parse → guard → thread → classify → persist → decide   (one transaction)
               → raw item processed / quarantined, ticket + message + timeline, timers sent after commit

The stage list is `intake.pipeline.stages.STAGES`; `process.process_raw` runs it exactly once per item.
"""
