#!/usr/bin/env bash
# Install the real servers the test suite starts on loopback (tests/servers):
#   dovecot-imapd (IMAP), openssl (self-signed certificates), postgresql, isync (mbsync),
# and chromium with chromium-driver, the headless browser that opens the HTML report and
# the rendered notebooks (tests/reports; Selenium drives it through /usr/bin/chromedriver).
#
# Idempotent and quiet: packages already installed are skipped; prints one line per run.
# For Debian/Ubuntu, as root (or as a user with passwordless sudo, e.g. CI runners).
# The suite runs its own private instances from generated configs; the system services
# these packages ship are not used, and are kept from starting during the install when
# the machine has no policy-rc.d of its own.
#
#   scripts/install-test-servers.sh            install what is missing
#   scripts/install-test-servers.sh --check    exit 1 (listing them) if anything is missing
set -euo pipefail

PACKAGES=(dovecot-imapd openssl postgresql isync chromium chromium-driver)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-test-servers: all present (${PACKAGES[*]})"
  exit 0
fi
if [[ ${1:-} == --check ]]; then
  echo "install-test-servers: missing: ${missing[*]}" >&2
  exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "install-test-servers: need root (or passwordless sudo) to install: ${missing[*]}" >&2
  exit 1
fi
command -v apt-get >/dev/null || {
  echo "install-test-servers: apt-get not found; install ${missing[*]} by hand" >&2
  exit 1
}

log=$(mktemp)
remove_policy=0
cleanup() {
  rm -f "$log"
  if [[ $remove_policy -eq 1 ]]; then "${SUDO[@]}" rm -f "$POLICY"; fi
}
trap cleanup EXIT

# Keep the packages' own services (dovecot on 143/993, the postgresql 'main' cluster on
# 5432) from being started by the install, unless the machine already decides that.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# temporary, from install-test-servers.sh\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY" >/dev/null
  remove_policy=1
  "${SUDO[@]}" chmod 0755 "$POLICY"
fi

APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
install() {
  "${APT[@]}" install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1
}
start=$SECONDS
if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null) ]]; then
  "${APT[@]}" update >>"$log" 2>&1 || true
fi
if ! install; then
  # stale package lists are the usual reason: refresh once and retry
  if ! { "${APT[@]}" update >>"$log" 2>&1 && install; }; then
    tail -n 30 "$log" >&2
    echo "install-test-servers: apt-get install ${missing[*]} failed" >&2
    exit 1
  fi
fi
echo "install-test-servers: installed ${missing[*]} in $((SECONDS - start)) s"
