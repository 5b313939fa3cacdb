from __future__ import annotations

from bench.load import parse_wrk

WRK_OUTPUT = """Running 4s test @ http://127.0.0.1:40187
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.31ms   12.08ms 210.11ms   86.13%
    Req/Sec     1.60k   215.47     2.01k    70.00%
  Latency Distribution
     50%   17.52ms
     75%   22.96ms
     90%   31.42ms
     99%    1.21s
  12761 requests in 4.01s, 3.33MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   3182.30
Transfer/sec:    849.41KB
"""


def test_wrk_reports_are_read_with_every_error_counted() -> None:
    rps, p50, p99, requests, errors = parse_wrk(WRK_OUTPUT)
    assert (rps, p50, p99, requests) == (3182.30, 17.52, 1210.0, 12761)
    assert errors == 7 + 2 + 1


def test_a_clean_run_has_no_errors() -> None:
    clean = WRK_OUTPUT.replace("  Socket errors: connect 0, read 2, write 0, timeout 1\n", "")
    clean = clean.replace("  Non-2xx or 3xx responses: 7\n", "").replace("1.21s", "900.00us")
    _, _, p99, _, errors = parse_wrk(clean)
    assert (p99, errors) == (0.9, 0)
