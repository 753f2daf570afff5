"""``fte eval``: run labelled tickets through the real agent runner and score what it did."""
