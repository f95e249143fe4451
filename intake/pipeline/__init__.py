"""The processing pipeline a worker runs for every stored raw item.

    channel ─► accept(raw) ─► raw_items (pending) ─► process_inbound_batch(raw_ids) actor ─► process_batch
                                                      process_inbound(raw_id) actor (re-drives) ─► process_raw
               parse → guard → thread → classify → persist → decide   (one transaction)
               → raw item processed / quarantined, ticket + message + timeline, timers sent after commit

The stage list is `intake.pipeline.stages.STAGES`; `process.process_batch` runs it exactly once per item.
"""
