#!/usr/bin/env bash
# `npm test`: typecheck, then every test file against the real engines: chDB in-process, a real
# Kafka broker (its jars fetched once with Maven), real OpenTelemetry exporters.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Kafka broker jars from Maven Central into .cache/ (idempotent; needs java and mvn)
bash test/support/kafka/fetch-jars.sh >/dev/null
# Debian's Chromium for the browser tests (idempotent; apt-get when missing)
bash scripts/install-browser.sh

npx tsc --noEmit -p .

# One file at a time: each starts its own broker or engine, and the machine has two cores.
files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(test/*.test.ts); fi
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
