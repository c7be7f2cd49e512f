"""Impact analytics: did taking part in a challenge move a rep's KPIs? Difference in
differences over per-rep values, with bootstrap intervals."""
