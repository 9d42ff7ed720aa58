# Shared by the scripts in this folder: paths, PATH and small helpers. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Builds live outside the clone so every clone (and CI) reuses one cache.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/xuecheng/target}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$CARGO_TARGET_DIR/site}"
# No incremental cache: a clean clone (CI) gains nothing from it, it takes gigabytes of disk, and
# a build with it and one without do not share the workspace crates' artifacts.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# cargo-installed tools, then the npm build tools (wasm-opt), first.
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# The wasm-bindgen version pinned in Cargo.lock; the CLI must match it exactly.
locked_version() {
    awk -v name="$1" '$1 == "name" && $3 == "\"" name "\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

# apt-get install, as root or through sudo, only for packages that are missing.
apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    have apt-get || die "missing packages: ${missing[*]} (install them with your package manager)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || { have sudo && sudo="sudo"; } || die "missing packages: ${missing[*]} (run as root or install sudo)"
    say "installing ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
        || { $sudo apt-get update >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } \
        || die "apt-get could not install: ${missing[*]}"
}
