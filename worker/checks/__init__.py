"""The troubleshooting checks: what is wrong with an organization's setup, in plain sentences.

`facts` is the pure core (the facts the checks decide from, which check runs or skips next);
`setup` (checks 1-7) and `company` (8-12) conclude, in the words of `sentences`; `tokens` reads a
token's text alone; `runner` makes the calls around them; `store` keeps the runs.
"""
