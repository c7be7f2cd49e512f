"""CSV exports of a CRM (sample data set, HubSpot, Salesforce, a mapping of one's own): reading
their cells, knowing their columns, planning and running an import with a dry run."""
