-- The floor: a constant answer, nothing else.
wrk.method = "GET"
wrk.path = "/health"
