-- PUT of a small JSON object with a float.
wrk.method = "POST"
wrk.path = "/picus/put"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name": "bench", "price": 12.5, "qty": 3, "tags": ["a", "b"], "ok": true}'
