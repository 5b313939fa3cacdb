"""The floors: what the same work costs with nothing but the unavoidable parts."""
