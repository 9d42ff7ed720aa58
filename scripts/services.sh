# Starts PostgreSQL and Redis when they are installed but not running, and finds a PostgreSQL URL
# the tests can use. Source it after lib.sh.

export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"

ensure_postgres() {
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        have pg_ctlcluster || die "PostgreSQL is not installed (apt-get install postgresql) and nothing answers on 127.0.0.1:5432"
        local version
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        say "starting PostgreSQL $version"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || die "could not start PostgreSQL $version"
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
        pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL did not come up on 127.0.0.1:5432"
    fi
    if [ -z "${TEST_POSTGRES_URL:-}" ]; then
        export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
        if ! psql "$TEST_POSTGRES_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
            # A stock Debian cluster wants a password over TCP: give the postgres role a local
            # test password through the Unix socket (peer authentication).
            [ "$(id -u)" -eq 0 ] || die "cannot log in to PostgreSQL as postgres; set TEST_POSTGRES_URL"
            runuser -u postgres -- psql -qc "ALTER USER postgres PASSWORD 'postgres'" >/dev/null \
                || die "cannot log in to PostgreSQL; set TEST_POSTGRES_URL"
            export TEST_POSTGRES_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres"
        fi
    fi
    psql "$TEST_POSTGRES_URL" -Atqc 'SELECT 1' >/dev/null || die "cannot connect to $TEST_POSTGRES_URL"
}

ensure_redis() {
    if ! redis-cli -u "$TEST_REDIS_URL" ping >/dev/null 2>&1; then
        have redis-server || die "Redis is not installed (apt-get install redis-server) and nothing answers on 127.0.0.1:6379"
        say "starting Redis"
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null \
            || die "could not start Redis"
        for _ in $(seq 1 20); do redis-cli -u "$TEST_REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.25; done
        redis-cli -u "$TEST_REDIS_URL" ping >/dev/null || die "Redis did not come up on 127.0.0.1:6379"
    fi
}

# Test databases are named xc_test_<uuid>; drop the ones earlier runs left behind. Only those
# nobody is connected to: another checkout's tests may be running on this machine right now.
drop_test_databases() {
    psql "$TEST_POSTGRES_URL" -Atqc "SELECT d.datname FROM pg_database d WHERE d.datname ~ '^xc_test_[a-z0-9_]+$'
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)" 2>/dev/null |
        while read -r db; do psql "$TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
}

# Drops one database of this run, whoever is still connected.
drop_database() {
    psql "$TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 || true
}
