"""The common designs for the same API, rebuilt faithfully, as the benchmark's baselines."""
