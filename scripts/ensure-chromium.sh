#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work here) and trust the
# demo's local CA through an NSS database made with certutil. Install both when missing; otherwise do nothing.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
exec "$(dirname "$0")/apt-install.sh" ensure-chromium "${missing[@]}"
