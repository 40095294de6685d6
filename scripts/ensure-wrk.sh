#!/usr/bin/env bash
# The events bench drives its load with Debian's wrk (C, one thread per connection: far cheaper than a Python
# client on the same two cores). Install it when missing; otherwise do nothing.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-wrk: wrk missing; install it (apt-get install wrk) or run as root" >&2
  exit 1
fi
echo "ensure-wrk: installing wrk" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wrk >/dev/null
