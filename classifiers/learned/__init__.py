"""The learned part of the urgency decision (issue #16): a linear model over words and the lexicon's signals.

Sits inside the classification stage, after the rules' urgency: `features` turns one read message into feature
names, `model` scores them with the shipped weights (classifiers/model/urgency.npz, plain arrays, no pickle),
`policy` combines the model with the rules so that a danger the rules found is never lowered, and `train`
(`intake train`) fits the weights and settles the thresholds by grouped cross-validation on the labelled set.
"""
