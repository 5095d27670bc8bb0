# shellcheck shell=bash
# Shared by the scripts that start JupyterLab in its own process group (tests/editors/jupyterlab,
# tests/kernel): on exit, stop the group (TERM, up to five seconds, then KILL), keep the work
# directory when the run failed, and say how long it took. The caller sets `work`, `artifacts`,
# `t_start`, `log` and, once the server runs, `jlab_pid`. Sourcing it installs the EXIT trap
# (replacing any other), so source it right after the work directory exists.
cleanup() {
  local rc=$?
  if [[ -n ${jlab_pid:-} ]]; then
    kill -TERM -- "-$jlab_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$jlab_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$jlab_pid" 2>/dev/null || true
  fi
  if [[ $rc -eq 0 ]]; then rm -rf "$work"; else log "kept $work; artifacts in $artifacts"; fi
  log "took $((SECONDS - t_start)) s"
}
trap cleanup EXIT
