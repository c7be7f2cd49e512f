"""KPIs: the registry of formulas, role-based scorecards, targets and thresholds, the inputs
the CRM does not carry, alerts and the decision log."""
