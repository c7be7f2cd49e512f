"""Sales data and its measures: org, deals, activities, ingestion, KPIs, impact analytics."""
