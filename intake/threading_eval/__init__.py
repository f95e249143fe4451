"""The threading evaluation: labelled pairs of messages (earlier, later) run through the real pipeline, and the
precision and recall of "follow-up". Cases: `cases.py` (format: samples/README.md); running: `run.py`;
the command: `intake eval-threading FILE…`."""
