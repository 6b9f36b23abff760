#!/usr/bin/env bash
# lua_prelude_sync.sh - src/lua/prelude.c must be what embed_prelude.py makes of prelude.lua
# (the C file is generated and committed; this catches an edit of one without the other).
set -euo pipefail
python3 "${REMOTES_SOURCE_DIR:-.}/src/lua/embed_prelude.py" --check
echo "prelude.c is up to date"
