"""Times WFDB Python's rdrecord over the records listed in a file (one header path per line).

Run by `precordial bench read`; prints one JSON object: {"records": n, "seconds": s, "version": v,
"failed": [indices of the records it could not read]}.
"""
import json
import sys
import time

import wfdb

paths = [line.strip() for line in open(sys.argv[1]) if line.strip()]
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
records = 0
failed = set()
start = time.perf_counter()
for _ in range(repeat):
    for index, path in enumerate(paths):
        name = path[:-4] if path.endswith(".hea") else path
        try:
            wfdb.rdrecord(name)
            records += 1
        except Exception:  # records WFDB Python cannot read are left out of its figures
            failed.add(index)
seconds = time.perf_counter() - start
print(json.dumps({"records": records, "seconds": seconds, "version": wfdb.__version__,
                  "failed": sorted(failed)}))
