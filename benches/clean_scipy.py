"""Times the reference cleaning pipeline (METHOD.md) in SciPy over the records listed in a file.

Run by `precordial bench clean`: argv = list file (one header path per line), passes. Records are
read with WFDB Python first; only the cleaning is timed, on one thread, pass by pass. Prints one
JSON object: {"records": per pass, "leads": per pass, "pass_seconds": [...], "version": scipy
version, "failed": [indices of records WFDB Python could not read]}.
"""
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.signal as sig  # noqa: E402
import wfdb  # noqa: E402


def clean(x, fs):
    """resample_poly to 100 Hz, notch 50 Hz (only below Nyquist), band-pass 0.5-45 Hz order 4 with
    filtfilt on (b, a), minus a 0.6 s running median, trimmed/zero-padded to 1000 samples."""
    fs_int = int(round(fs))
    g = math.gcd(fs_int, 100)
    up, down = 100 // g, fs_int // g
    if (up, down) != (1, 1):
        x = sig.resample_poly(x, up, down)
    fs = 100.0
    if 50.0 < fs / 2.0:
        b, a = sig.iirnotch(50.0, 30.0, fs=fs)
        x = sig.filtfilt(b, a, x)
    high = 45.0 if 45.0 < fs / 2.0 else 0.99 * fs / 2.0
    b, a = sig.butter(4, [0.5, high], btype="bandpass", fs=fs)
    x = sig.filtfilt(b, a, x)
    w = int(round(0.6 * fs))
    w += 1 if w % 2 == 0 else 0
    x = x - sig.medfilt(x, w)
    y = np.zeros(1000)
    n = min(1000, len(x))
    y[:n] = x[:n]
    return y


paths = [line.strip() for line in open(sys.argv[1]) if line.strip()]
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
loaded = []
failed = []
for index, path in enumerate(paths):
    name = path[:-4] if path.endswith(".hea") else path
    try:
        rec = wfdb.rdrecord(name)
        loaded.append((rec.p_signal, float(rec.fs)))
    except Exception:  # records WFDB Python cannot read are left out of its figures
        failed.append(index)
leads = 0
pass_seconds = []
for _ in range(max(repeat, 1)):
    leads = 0
    start = time.perf_counter()
    for signal, fs in loaded:
        for j in range(signal.shape[1]):
            clean(signal[:, j], fs)
            leads += 1
    pass_seconds.append(time.perf_counter() - start)
print(json.dumps({"records": len(loaded), "leads": leads, "pass_seconds": pass_seconds,
                  "version": scipy.__version__, "failed": failed}))
