# Helpers shared by the scripts/deps-*.sh files.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$root/build/venv}

# apt_need PKG...: installs the Debian packages that are missing.
apt_need() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "installing ${missing[*]}" >&2
    # Package scripts must not start services on this machine (the tests start their own).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod +x /usr/sbin/policy-rc.d
    fi
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# venv_need PKG...: a project virtualenv in build/venv with these PyPI packages.
venv_need() {
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV" 2>/dev/null || { apt_need python3-venv; python3 -m venv "$VENV"; }
        "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    fi
    local missing=()
    for p in "$@"; do
        "$VENV/bin/pip" show -q "${p%%[=<>]*}" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] || "$VENV/bin/pip" install -q "${missing[@]}"
}
