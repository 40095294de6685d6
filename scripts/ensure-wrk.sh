#!/usr/bin/env bash
# The events bench drives its load with Debian's wrk (C, one thread per connection: far cheaper than a Python
# client on the same two cores). Install it when missing; otherwise do nothing.
set -euo pipefail
command -v wrk >/dev/null 2>&1 || exec "$(dirname "$0")/apt-install.sh" ensure-wrk wrk
