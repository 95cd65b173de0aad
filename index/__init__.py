from index import openblas

openblas.apply()  # before any index module imports numpy: OpenBLAS chooses its kernels as it loads
