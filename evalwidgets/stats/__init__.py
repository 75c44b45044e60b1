"""Analyses: one module per family. Each public function validates, calls kernels, returns a Result."""
