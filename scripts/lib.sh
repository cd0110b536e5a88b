# Shared by the scripts (sourced, not run).

# If cargo's `rustc -` target probe ever fails ("failed to run `rustc` to learn about
# target-specific information"), cargo caches the failure in target/.rustc_info.json and every
# later build fails too. (Seen when /dev/null had become a regular file holding other tools'
# output; setup.sh now restores the device.) Only that failure is retried, with the cache
# cleared; any other failure stops the run.
with_probe_retry() {
  local attempt err status
  err=$(mktemp)
  for attempt in 1 2 3; do
    status=0
    "$@" 2>"$err" || status=$?
    cat "$err" >&2
    if [ "$status" -ne 0 ] && [ "$attempt" -lt 3 ] && grep -q "to learn about target-specific information" "$err"; then
      echo "== the rustc target probe failed (attempt $attempt); clearing its cache and retrying" >&2
      rm -f target/.rustc_info.json
      continue
    fi
    rm -f "$err"
    return "$status"
  done
}
