"""Small building blocks shared by the classifiers and the rules engine; imports nothing of `intake`."""
