"""QContact contact-centre channel: webhook and REST poller, driven by a YAML field mapping."""
