#!/usr/bin/env bash
# The main job: placeholder until the demo programs land.
set -euo pipefail
echo "demo: not built yet" >&2
exit 1
