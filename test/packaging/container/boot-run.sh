#!/bin/bash
# netevd package tests.
# Boot a rootfs with systemd as PID 1 (systemd-nspawn -b), run a test script inside as a
# systemd service, collect output in a host directory, power off. Fully non-interactive,
# bounded by a timeout. Needs nothing baked into the rootfs: uses systemd-run-generator
# (systemd.run=); tested with Debian systemd 252 (bookworm) and 257 (trixie) guests.
#
# Usage: boot-run.sh [options] TEST_SCRIPT
#   -r ROOTFS   rootfs to boot                        (default /tmp/ns/rootfs)
#   -o OUTDIR   host dir for results, emptied first  (default /tmp/ns/out/<name>)
#   -n NAME     machine name                          (default t<pid>)
#   -t SECS     overall timeout                       (default 180)
#   -i DIR      extra host dir bind-mounted read-only at /in (packages, fixtures)
#   -w          boot the rootfs writable (default: --volatile=overlay, rootfs stays pristine)
#   -N          keep host networking (default: --private-network, only lo inside)
#
# Inside the container: /test/run.sh = TEST_SCRIPT (read-only), /test/src = the directory holding
# TEST_SCRIPT (read-only, for helper files), /out = OUTDIR (rw), /in = -i DIR (read-only).
# Results in OUTDIR: console.log (boot console), test.log (script stdout+stderr), rc (script exit
# code), journal.txt (whole journal of the boot, also produced after a timeout), journal/ (the
# container's /var/log/journal, readable with journalctl -D), timing.txt, entry.log (harness log).
# Exit status: the test script's exit code; 124 = timeout / no result; 125 = setup error.
set -uo pipefail

ROOTFS=/tmp/ns/rootfs OUT= NAME=t$$ TMO=180 IN= VOLATILE=overlay NET=--private-network
while getopts r:o:n:t:i:wN opt; do
    case $opt in
        r) ROOTFS=$OPTARG ;; o) OUT=$OPTARG ;; n) NAME=$OPTARG ;; t) TMO=$OPTARG ;;
        i) IN=$OPTARG ;; w) VOLATILE=no ;; N) NET= ;;
        *) sed -n '2,20p' "$0"; exit 125 ;;
    esac
done
shift $((OPTIND - 1))
TEST=${1:?test script required}
[ -f "$TEST" ] || { echo "no such test script: $TEST" >&2; exit 125; }
[ -x "$ROOTFS/lib/systemd/systemd" ] || [ -x "$ROOTFS/usr/lib/systemd/systemd" ] ||
    { echo "not a bootable rootfs: $ROOTFS" >&2; exit 125; }
command -v systemd-nspawn >/dev/null || { echo "systemd-nspawn missing (apt-get install systemd-container)" >&2; exit 125; }
OUT=${OUT:-/tmp/netevd-boot/$NAME}
TEST=$(readlink -f "$TEST"); OUT=$(readlink -m "$OUT")

case "$OUT" in /|/tmp|/root|/home|/usr|/etc|/var) echo "refusing OUTDIR $OUT" >&2; exit 125 ;; esac
if [ -d "$OUT" ] && [ ! -e "$OUT/.boot-run" ] && [ -n "$(ls -A "$OUT")" ]; then
    echo "refusing to empty $OUT: not a boot-run output dir" >&2; exit 125
fi
[ -z "$NET" ] && echo "boot-run: note: -N shares the host netns; nspawn then drops CAP_NET_ADMIN from the container" >&2
stage=$(mktemp -d /tmp/ns-stage.XXXXXX)
chmod 755 "$stage"
rm -rf "$OUT"; mkdir -p "$OUT/journal"; touch "$OUT/.boot-run"
cp "$TEST" "$stage/run.sh"; chmod 755 "$stage/run.sh"; mkdir "$stage/src"

# Stage 1, /test/entry.sh: runs as kernel-command-line.service (systemd-run-generator, from
# systemd.run= on the container command line). That generator makes kernel-command-line.target
# the default target, which does not pull in basic/multi-user. So: queue multi-user.target, queue
# the real test as a transient service ordered after it, and exit. The boot transaction then
# completes normally (is-system-running -> running/degraded, systemd-analyze time works) and
# the test service powers the container off when it ends, whatever its result.
cat > "$stage/entry.sh" <<'EOS'
#!/bin/bash
exec </dev/null >/out/entry.log 2>&1
date +%s.%N > /out/started
systemctl start --no-block multi-user.target
exec systemd-run --no-block --unit=ns-test --description="boot-run test" \
    -p Type=exec -p After=multi-user.target -p Wants=multi-user.target \
    -p SuccessAction=poweroff -p FailureAction=poweroff /test/runner.sh
EOS
# Stage 2, /test/runner.sh: the test service.
cat > "$stage/runner.sh" <<'EOS'
#!/bin/bash
exec </dev/null >>/out/entry.log 2>&1
state=$(timeout 120 systemctl is-system-running --wait)
{
  echo "system_state_before_test=$state"
  echo "test_start_realtime=$(date +%s.%N)"
  systemd-analyze time | sed 's/^/systemd_analyze_time: /'
} > /out/timing.txt
cd /out
/test/run.sh > /out/test.log 2>&1
rc=$?
echo $rc > /out/rc.tmp
echo "test_end_realtime=$(date +%s.%N)" >> /out/timing.txt
journalctl --no-pager -b -o short-monotonic > /out/journal.txt 2>&1
mv /out/rc.tmp /out/rc
exit 0     # SuccessAction=poweroff
EOS
chmod 755 "$stage/entry.sh" "$stage/runner.sh"

args=(-D "$ROOTFS" -b -M "$NAME" --register=no --link-journal=no --console=read-only
      --setenv=SYSTEMD_COLORS=0
      --bind-ro="$stage:/test" --bind-ro="$(dirname "$TEST"):/test/src" --bind="$OUT:/out"
      --bind="$OUT/journal:/var/log/journal")   # persistent journal survives timeouts/crashes
[ "$VOLATILE" = overlay ] && args+=(--volatile=overlay)
[ -n "$NET" ] && args+=("$NET")
[ -n "$IN" ] && args+=(--bind-ro="$(readlink -f "$IN"):/in")
initargs=(systemd.run=/test/entry.sh systemd.run_success_action=none
          systemd.run_failure_action=poweroff systemd.log_color=0)

# cgroups: without systemd on the host there is no bus to allocate a scope, so give nspawn its
# own cgroup by hand and tell it to stay there (--keep-unit).
cgdirs=()
if [ -d /run/systemd/system ]; then
    launcher=(systemd-nspawn)            # host runs systemd: nspawn allocates a scope itself
else
    args+=(--keep-unit)
    if [ -e /sys/fs/cgroup/cgroup.procs ]; then          # pure cgroup2
        cgdirs=(/sys/fs/cgroup/ns-$NAME)
    else                                                 # hybrid / legacy
        for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
            [ -e "$h/cgroup.procs" ] && cgdirs+=("$h/ns-$NAME")
        done
    fi
    mkdir -p "${cgdirs[@]}" || exit 125
    export CGN=${#cgdirs[@]}
    launcher=(bash -c 'for d in "${@:1:$CGN}"; do echo $$ > "$d/cgroup.procs" || exit 125; done
                       shift $CGN; exec systemd-nspawn "$@"' _ "${cgdirs[@]}")
fi

cleanup() {
    # kill what is left in our own cgroups (only processes we started live there), by PID
    local d pids i
    for d in "${cgdirs[@]}"; do
        for i in 1 2 3 4 5 6 7 8 9 10; do
            pids=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
            [ -z "$pids" ] && break
            echo "boot-run: killing leftover PIDs $pids" >&2
            kill -KILL $pids 2>/dev/null; sleep 0.5
        done
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    rm -rf "$stage" "/run/systemd/nspawn/propagate/$NAME"
}
trap cleanup EXIT

t0=$(date +%s.%N)
echo "boot-run: booting $ROOTFS as $NAME (timeout ${TMO}s), results in $OUT"
timeout --kill-after=15 "$TMO" "${launcher[@]}" "${args[@]}" "${initargs[@]}" > "$OUT/console.log" 2>&1
nrc=$?
t1=$(date +%s.%N)
{
  echo "host_start_realtime=$t0"
  echo "host_end_realtime=$t1"
  echo "nspawn_rc=$nrc"
} >> "$OUT/timing.txt"
if [ -f "$OUT/started" ]; then
    awk -v s="$(cat "$OUT/started")" -v a="$t0" -v b="$t1" -v r="$nrc" \
        'BEGIN{printf "boot-run: nspawn start->entry %.2fs, total %.2fs, nspawn rc=%s\n", s-a, b-a, r}'
fi
if [ ! -s "$OUT/journal.txt" ] && command -v journalctl >/dev/null; then
    journalctl --no-pager -D "$OUT/journal" -o short-monotonic > "$OUT/journal.txt" 2>&1
fi
if [ -f "$OUT/rc" ]; then
    rc=$(cat "$OUT/rc")
    echo "boot-run: test rc=$rc"
    exit "$rc"
fi
echo "boot-run: no result (nspawn rc=$nrc); see $OUT/console.log $OUT/entry.log" >&2
exit 124
