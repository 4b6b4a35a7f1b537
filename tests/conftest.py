import os
# Keep each worker to one BLAS/torch thread: pytest-xdist already runs two workers on two cores.
for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'): os.environ.setdefault(v, '1')
os.environ.setdefault('MPLBACKEND', 'Agg')
