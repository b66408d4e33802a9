#!/usr/bin/env bash
# A fresh clone to the demo's login page (issue 14): clones REPO, runs `make demo` on PORT and
# stops it once /login/ answers 200. Prints the wall time, when venv + pip were done, and the
# CPU time of make, venv and pip plus that of the demo process. Leaves the clone in DIR.
# Usage: bench/fresh_clone.sh REPO [PORT] [DIR]   (defaults: 8141, /tmp/coproduce-clone)
set -uo pipefail
SRC=$1
PORT=${2:-8141}
DIR=${3:-/tmp/coproduce-clone}
unset PYTHONDONTWRITEBYTECODE # as on a developer's machine: the demo writes its bytecode
rm -rf "$DIR" "$DIR.log" "$DIR.time"
uptime
T0=$(date +%s.%N)
git clone -q "$SRC" "$DIR" || exit 1
cd "$DIR" || exit 1
setsid /usr/bin/time -f "%U %S" -o "$DIR.time" make demo DEMO_ARGS="--port $PORT --no-worker" >"$DIR.log" 2>&1 &
PID=$!
INSTALLED=""
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/login/")" = "200" ]; do
    if [ -z "$INSTALLED" ] && [ -f .venv/.installed ]; then INSTALLED=$(date +%s.%N); fi
    if ! kill -0 "$PID" 2>/dev/null; then
        echo "make demo stopped:"
        tail -20 "$DIR.log"
        exit 1
    fi
    sleep 0.2
done
T1=$(date +%s.%N)
SERVER=$(ps -o pid=,args= -g "$PID" | grep "coproduce demo" | grep -v "/bin/sh" | awk '{print $1}' | head -1)
SERVER_CPU=$(awk '{print ($14 + $15) / 100}' "/proc/$SERVER/stat")
# SIGTERM to make and the demo, not to time, so that it reports make's and pip's CPU.
kill -TERM $(ps -o pid= -g "$PID" | grep -vw "$PID")
wait "$PID" 2>/dev/null
python3 - "$T0" "$T1" "${INSTALLED:-$T1}" "$SERVER_CPU" "$DIR.time" <<'PY'
import sys

t0, t1, installed, server = map(float, sys.argv[1:5])
user, system = map(float, open(sys.argv[5]).read().split()[-2:])
print(f"wall to /login/ 200: {t1 - t0:.1f} s (venv + pip done at {installed - t0:.1f} s)")
print(f"CPU: venv + pip {user + system:.1f} s (user {user:.1f}, sys {system:.1f}); "
      f"demo process {server:.1f} s; total {user + system + server:.1f} s")
PY
uptime
