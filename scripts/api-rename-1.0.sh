#!/usr/bin/env bash
# api-rename-1.0.sh - rewrites C sources from the 0.x names of the public API to the 1.0
# names (docs/api-changes.md has the table and the rule behind it).
#
# Usage: scripts/api-rename-1.0.sh [path...]   (default: this repository's C, docs, Python)
# It rewrites files in place and is idempotent: a second run changes nothing. It only
# renames; calls whose arguments changed (see "Changed signatures" in docs/api-changes.md)
# still need editing by hand, and the compiler points at each of them.
set -euo pipefail
cd "$(dirname "$0")/.."

# old new, one per line; order matters where one old name is a prefix of a new one's use
# (rmt_client_player_name, the local player's name, must move away before the per-player
# rmt_client_player_name_of takes its name).
RENAMES='
rmt_client_player_name rmt_client_local_name
rmt_client_player_id rmt_client_local_player
rmt_client_user_id rmt_client_local_user_id
rmt_client_player_name_of rmt_client_player_name
rmt_client_player_user_id_of rmt_client_player_user_id
rmt_client_state rmt_connection_state
rmt_client_get_state rmt_client_state
rmt_client_find_remote rmt_client_remote_find
rmt_client_wait_remote_sync rmt_client_remote_wait_sync
rmt_client_wait_remote rmt_client_remote_wait
rmt_client_event_signal rmt_client_remote_signal
rmt_client_on_invoke rmt_client_remote_on_invoke
rmt_server_create_remote rmt_server_remote_create
rmt_server_destroy_remote rmt_server_remote_destroy
rmt_server_find_remote rmt_server_remote_find
rmt_server_set_remote_rate rmt_server_remote_set_rate
rmt_server_set_schema rmt_server_remote_set_schema
rmt_server_event_signal rmt_server_remote_signal
rmt_server_on_invoke rmt_server_remote_on_invoke
rmt_server_set_player_data rmt_server_player_set_data
rmt_server_kick rmt_server_player_kick
rmt_err_name rmt_status_name
rmt_invoke_handler_fn rmt_invoke_fn
rmt_client_last_error rmt_client_disconnect_reason
rmt_ticket_verdict_name rmt_status_name
rmt_ticket_verdict int
RMT_TICKET_VALID RMT_OK
RMT_TICKET_MISSING RMT_ENOTICKET
RMT_TICKET_MALFORMED RMT_EDECODE
RMT_TICKET_FORGED RMT_EFORGED
RMT_TICKET_EXPIRED RMT_EEXPIRED
RMT_TICKET_REUSED RMT_EREUSED
RMT_TICKET_TABLE_FULL RMT_ELIMIT
RMT_TICKET_BADKEY RMT_EINVAL
'

if [ $# -eq 0 ]; then
  set -- src include tools tests examples bench fuzz docs README.md
fi
mapfile -t files < <(grep -rlE --include='*.c' --include='*.h' --include='*.md' \
  --include='*.py' --include='*.lua' --include='*.cpp' 'rmt_(client|server|err|ticket|invoke)_|RMT_TICKET_' "$@" \
  2>/dev/null | grep -v -e node_modules -e '^docs/api-changes.md$' || true)
[ ${#files[@]} -eq 0 ] && exit 0

script=""
while read -r old new; do
  [ -z "$old" ] && continue
  # \b on both sides: rmt_client_player_name must not touch rmt_client_player_name_of.
  script+="s/\\b${old}\\b/${new}/g;"
done <<< "$RENAMES"

# Idempotence: rmt_client_player_name and rmt_client_state are names in both APIs (with
# other meanings), so a file is rewritten only when it still holds a name that exists only
# in 0.x; a second run, or a file already written against 1.0, is left alone. (A 0.x file
# whose only old name is one of those two is left alone too; the compiler then points at
# each call, since the argument counts differ.)
OLD_ONLY='\brmt_(client_(player_id|user_id|player_name_of|player_user_id_of|get_state|find_remote|wait_remote|wait_remote_sync|event_signal|on_invoke)|server_(create_remote|destroy_remote|find_remote|set_remote_rate|set_schema|event_signal|on_invoke|set_player_data|kick)|err_name|client_last_error|invoke_handler_fn|ticket_verdict(_name)?)\b|\bRMT_TICKET_(VALID|MISSING|MALFORMED|FORGED|EXPIRED|REUSED|TABLE_FULL|BADKEY)\b'
for f in "${files[@]}"; do
  grep -qE "$OLD_ONLY" "$f" || continue
  sed -i -E "$script" "$f"
done
