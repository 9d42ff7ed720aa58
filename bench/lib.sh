# Shared by the bench/ scripts: cleanup of what they start, ports, readiness, databases, sign-in
# and one wrk runner whose rows every report reads the same way. Source it after scripts/lib.sh.
#
# A script sets `bench_name` (used in temp names) before sourcing, and may append its own cleanup
# to `bench_cleanup_hooks`.

bench_tmp="$(mktemp -d "${TMPDIR:-/tmp}/xc-bench-${bench_name:-run}.XXXXXX")"
bench_pids=()
bench_pg_dbs=()
bench_cleanup_hooks=()
bench_pg_admin="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bench_rows="$bench_tmp/rows"
: >"$bench_rows"
bench_runs=0

bench_stop() { # PID: TERM, then KILL after 5 s
    local pid=$1 i kept=()
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for i in ${bench_pids[@]+"${bench_pids[@]}"}; do [ "$i" = "$pid" ] || kept+=("$i"); done
    bench_pids=(${kept[@]+"${kept[@]}"})
}

bench_cleanup() {
    local rc=$? pid db hook
    trap - EXIT INT TERM
    for pid in ${bench_pids[@]+"${bench_pids[@]}"}; do bench_stop "$pid"; done
    for db in ${bench_pg_dbs[@]+"${bench_pg_dbs[@]}"}; do
        psql "$bench_pg_admin" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 \
            || printf 'warning: could not drop the PostgreSQL database %s\n' "$db" >&2
    done
    for hook in ${bench_cleanup_hooks[@]+"${bench_cleanup_hooks[@]}"}; do "$hook" || true; done
    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$bench_tmp"
    exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_free_port() { # a port nothing listens on (the server binds it a moment later)
    local p _
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    die "no free TCP port found"
}

bench_show_log() { printf -- '--- %s (last 30 lines) ---\n' "$1" >&2; tail -n 30 "$1" >&2 || true; }

bench_now_ns() { date +%s%N; }

# bench_wait_ready PID URL LOG [START_NS]: polls every 10 ms for up to 60 s; prints the
# milliseconds since START_NS (or since the call).
bench_wait_ready() {
    local pid=$1 url=$2 log=$3 t0=${4:-$(bench_now_ns)}
    while :; do
        if curl -fs -o /dev/null --max-time 2 "$url"; then
            echo $((($(bench_now_ns) - t0) / 1000000))
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { bench_show_log "$log"; die "the server exited before $url answered 200"; }
        (($(bench_now_ns) - t0 < 60 * 1000000000)) || { bench_show_log "$log"; die "$url did not answer 200 within 60 s"; }
        sleep 0.01
    done
}

# bench_database BACKEND: sets bench_url to a fresh database URL (SQLite file in the temp dir, or a new
# PostgreSQL database dropped at exit).
bench_database() {
    case "$1" in
        sqlite)
            local dir="$bench_tmp/sqlite-$RANDOM$RANDOM"
            mkdir -p "$dir"
            bench_url="sqlite://$dir/xc.db"
            ;;
        postgres)
            local db="xc_bench_${bench_name:-run}_$(date +%s)_${RANDOM}${RANDOM}"
            db=${db//-/_}
            psql "$bench_pg_admin" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null \
                || die "cannot create the database $db (BENCH_POSTGRES_URL=$bench_pg_admin)"
            bench_pg_dbs+=("$db")
            bench_url="${bench_pg_admin%/*}/$db"
            ;;
        *) die "unknown backend '$1' (use sqlite and/or postgres)" ;;
    esac
}

# bench_check_backends LIST: dies on an unknown name, or on postgres without psql.
bench_check_backends() {
    local b
    for b in $1; do
        case "$b" in sqlite | postgres) ;; *) die "BENCH_BACKENDS: unknown backend '$b' (use sqlite and/or postgres)" ;; esac
    done
    case " $1 " in *" postgres "*) have psql || die "psql is missing (or run with BENCH_BACKENDS=sqlite)" ;; esac
}

# bench_sign_in ORIGIN USER PASSWORD: prints the session cookie (name=value) of a fresh sign-in
# through the login server function, as the browser's form does.
bench_sign_in() {
    curl -sS -o /dev/null -D - --max-time 30 -H "Origin: $1" \
        --data-urlencode "username=$2" --data-urlencode "password=$3" "$1/fn/accounts/login" |
        tr -d '\r' | awk 'tolower($1) == "set-cookie:" && $2 ~ /^xc_session=/ { sub(/;.*/, "", $2); print $2 }'
}

# bench_paths FILE PATH...: writes the paths, one per line, for BENCH_PATHS.
bench_paths() {
    local file=$1
    shift
    printf '%s\n' "$@" >"$file"
}

# bench_measure GROUP ENDPOINT BASE PATHS_FILE [VAR=VALUE...]: one wrk run of the paths in
# PATHS_FILE (cycled) against BASE, configured for bench/wrk.lua by the VAR=VALUE pairs
# (BENCH_COOKIE=…, BENCH_AUTH=…, BENCH_METHOD=POST, BENCH_BODY=…, BENCH_TOKENS=…, BENCH_ORIGIN=…).
# Every distinct path is requested once first and must answer 200 (not a redirect, not an error
# page), so a wrong cookie fails the run instead of looking fast. Appends one row to $bench_rows:
#   group|endpoint|rps|p50_ms|p95_ms|p99_ms|ok|redirects|bad|socket_errors|requests|fresh
# Uses BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_THREADS (2).
bench_measure() {
    local group=$1 endpoint=$2 base=$3 paths=$4
    shift 4
    local secs=${BENCH_SECONDS:-10} conns=${BENCH_CONNECTIONS:-64} threads=${BENCH_THREADS:-2}
    [ "$conns" -ge "$threads" ] || threads=$conns
    bench_runs=$((bench_runs + 1))
    local out="$bench_tmp/wrk-$bench_runs.txt" probe="$bench_tmp/probe-$bench_runs.txt"
    local kv cookie="" auth="" method=GET body="" origin="" tokens=""
    for kv in "$@"; do
        case "$kv" in
            BENCH_COOKIE=*) cookie=${kv#*=} ;;
            BENCH_AUTH=*) auth=${kv#*=} ;;
            BENCH_METHOD=*) method=${kv#*=} ;;
            BENCH_BODY=*) body=${kv#*=} ;;
            BENCH_ORIGIN=*) origin=${kv#*=} ;;
            BENCH_TOKENS=*) tokens=${kv#*=} ;;
        esac
    done
    local curl_args=(-sS -o "$probe" -w '%{http_code}' --max-time 30 -X "$method")
    [ -z "$cookie" ] || curl_args+=(-H "Cookie: $cookie")
    [ -z "$auth" ] || curl_args+=(-H "Authorization: $auth")
    [ -z "$origin" ] || curl_args+=(-H "Origin: $origin")
    [ -z "$tokens" ] || curl_args+=(-H "Authorization: Bearer $(head -n 1 "$tokens")")
    [ -z "$body" ] || curl_args+=(-H "Content-Type: application/x-www-form-urlencoded" --data "$body")
    local path code
    while IFS= read -r path; do
        [ -n "$path" ] || continue
        code=$(curl "${curl_args[@]}" "$base$path") || die "$endpoint: $base$path did not answer"
        [ "$code" = 200 ] || { head -c 400 "$probe" >&2; echo >&2; die "$endpoint: $path answered $code, not 200"; }
    done < <(sort -u "$paths")
    say "$group: wrk $endpoint for ${secs}s ($(wc -l <"$paths") paths cycled, $conns connections)"
    env "$@" BENCH_PATHS="$paths" BENCH_THREADS="$threads" \
        wrk -t"$threads" -c"$conns" -d"${secs}s" -s "$ROOT/bench/wrk.lua" "$base/" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk failed on $base"; }
    local line
    line=$(grep '^bench ' "$out") || { cat "$out" >&2; die "no result line in wrk's output"; }
    awk -v g="$group" -v e="$endpoint" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s|%s|%s|%.2f|%.2f|%.2f|%d|%d|%d|%d|%d|%d\n", g, e, v["rps"],
            v["p50_us"] / 1000, v["p95_us"] / 1000, v["p99_us"] / 1000,
            v["ok"], v["redirects"], v["bad"], v["errors"], v["requests"], v["fresh"]
    }' <<<"$line" >>"$bench_rows"
}

# bench_value GROUP ENDPOINT FIELD: a field of a row (rps, p50, p95, p99, requests, fresh).
bench_value() {
    awk -F'|' -v g="$1" -v e="$2" -v f="$3" '
        BEGIN { col["rps"] = 3; col["p50"] = 4; col["p95"] = 5; col["p99"] = 6; col["requests"] = 11; col["fresh"] = 12 }
        $1 == g && $2 == e { print $(col[f]); found = 1; exit }
        END { if (!found) print 0 }' "$bench_rows"
}

# bench_clean GROUP ENDPOINT: 1 when at most 1% of the row's answers were redirects, error
# answers or socket errors (wrk alone counts a fast 4xx as a served request), else 0.
bench_clean() {
    awk -F'|' -v g="$1" -v e="$2" '
        $1 == g && $2 == e { bad = $8 + $9 + $10; total = $11 }
        END { print (total > 0 && bad * 100 <= total) ? 1 : 0 }' "$bench_rows"
}

# bench_note GROUP ENDPOINT: " ⚠ …" for a row with redirects, errors or socket errors.
bench_note() {
    awk -F'|' -v g="$1" -v e="$2" '
        $1 == g && $2 == e {
            if ($8 > 0) printf " ⚠ %d redirects", $8
            if ($9 > 0) printf " ⚠ %d error answers", $9
            if ($10 > 0) printf " ⚠ %d socket errors", $10
        }' "$bench_rows"
}

bench_verdict() { if [ "$1" -eq 1 ]; then echo PASS; else echo FAIL; fi; }

bench_header() { # the line every report starts with, after its title
    echo "Commit $(git describe --always --dirty 2>/dev/null || echo unknown), $(nproc) CPUs," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the end," \
        "wrk -t${BENCH_THREADS:-2} -c${BENCH_CONNECTIONS:-64} -d${BENCH_SECONDS:-10}s with bench/wrk.lua."
}
