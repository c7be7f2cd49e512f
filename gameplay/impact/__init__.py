"""A challenge's impact seen from the game: who took part, how far they got, past campaigns
recorded afterwards; the statistics themselves are kpi_engine.impact's."""
