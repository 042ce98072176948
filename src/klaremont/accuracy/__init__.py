"""Accuracy of customer records (DP-ACCURATE): the stale-data review and its history."""
