"""numba kernels: numpy arrays in, numpy arrays out. Only numpy, numba and math are imported here."""
