#!/usr/bin/env bash
# Install Debian packages the project's own scripts need (ensure-chromium.sh, ensure-wrk.sh, postgres.sh):
# as root with apt; otherwise say what is missing and how to install it, and fail.
#
#   scripts/apt-install.sh WHO PACKAGE...     # WHO names the calling script in the messages
set -euo pipefail
who=$1
shift
if [ "$(id -u)" -ne 0 ]; then
  echo "$who: $* missing; install (apt-get install $*) or run as root" >&2
  exit 1
fi
echo "$who: installing $*" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
