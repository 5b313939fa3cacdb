"""The benchmark: this service side by side with the designs users would pick instead."""
