"""Child process of the memory benchmark: ``python -m bench.memory_child CONFIG [--baseline]``.

``--baseline`` imports what a poll imports and exits; otherwise it runs one poll. Either way
it prints one JSON line with its own peak RSS (VmHWM) in bytes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _vm_hwm() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> int:
    config = Path(sys.argv[1])
    import tdl_inbox.app
    import tdl_inbox.services.intake.ingest

    recorded = 0
    if "--baseline" not in sys.argv:
        from tdl_inbox.app import build_app, utc_now
        from tdl_inbox.config import load_config
        from tdl_inbox.services.intake.ingest import poll_once

        app = build_app(load_config(config))
        report = poll_once(app.open_mailbox, app.sessions, app.store, app.ctx, utc_now)
        recorded = report.recorded
        app.close()
    del tdl_inbox
    print(json.dumps({"vm_hwm": _vm_hwm(), "recorded": recorded}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
