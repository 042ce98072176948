"""Policy documents in the staff console: versions, acknowledgements and section reviews
(DP-GUIDE, DP-AWARE, DP-REVIEW)."""
