#!/usr/bin/env python3
"""A PTB-XL-sized folder for scale tests of `precordial eval` (and the workbench's browser).

PhysioNet is out of reach here, so this builds a folder with PTB-XL's layout and size: the
full-size 21,799-row `ptbxl_database.csv` that `precordial bench index` also uses (rows cycled from
the real head of the table, folds and labels included) and one 100 Hz record per row. The signals
are the real PTB-XL records of the Challenge 2021 sample, resampled to 100 Hz with SciPy's
`resample_poly` (as PhysioNet made `records100`), cycled over the rows; each record's header is its
own, its samples are shared (symlinked) within a folder. Labels therefore do not belong to the
signals: the folder measures time and memory at PTB-XL's scale, not accuracy.

Usage: make_ptbxl_scale.py SHARED_DATA OUT_DIR [ROWS]   (needs numpy, scipy, wfdb; the table comes
from `precordial bench index`'s generator, so run this with the `precordial` binary on PATH or
PRECORDIAL_BIN set).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import wfdb
from scipy.signal import resample_poly


def main() -> None:
    shared, out = Path(sys.argv[1]), Path(sys.argv[2])
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 21_799
    source_dir = shared / "challenge-2021" / "ptb-xl"
    sources = sorted(p.with_suffix("") for p in source_dir.glob("*.hea"))
    if not sources:
        sys.exit(f"{source_dir}: no records")

    # The table: precordial's own full-size generator (the same one `bench index` times).
    binary = os.environ.get("PRECORDIAL_BIN", "precordial")
    subprocess.run(
        [binary, "bench", "index", str(shared / "ptb-xl"), "--rows", str(rows),
         "--write-table", str(out)],
        check=True,
    )

    # 100 Hz versions of the real records, written once.
    pool = out / "pool"
    pool.mkdir(parents=True)
    names = []
    for k, source in enumerate(sources):
        record = wfdb.rdrecord(str(source))
        signal = resample_poly(record.p_signal, 1, 5, axis=0)[:1000]
        name = f"src{k:02d}"
        wfdb.wrsamp(name, fs=100, units=["mV"] * record.n_sig, sig_name=record.sig_name,
                    p_signal=signal, fmt=["16"] * record.n_sig, adc_gain=[1000.0] * record.n_sig,
                    baseline=[0] * record.n_sig, write_dir=str(pool))
        names.append(name)

    # One header per row, pointing at a symlinked pool record in its folder.
    for row in range(1, rows + 1):
        folder = out / "records100" / f"{(row // 1000) * 1000:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = names[row % len(names)]
        dat = folder / f"{name}.dat"
        if not dat.exists():
            dat.symlink_to(pool / f"{name}.dat")
        header = (pool / f"{name}.hea").read_text().splitlines()
        first = header[0].split(" ", 1)
        header[0] = f"{row:05d}_lr {first[1]}"
        (folder / f"{row:05d}_lr.hea").write_text("\n".join(header) + "\n")
    print(f"{out}: {rows} records from {len(names)} real PTB-XL signals")


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
