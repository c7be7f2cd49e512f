"""The demo organisation's sales data, customers and inputs, built from the public CRM sample."""
