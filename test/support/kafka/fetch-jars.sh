#!/usr/bin/env bash
# Fetch the jars of a single-node Apache Kafka broker (KRaft) from Maven Central,
# for Plantline's tests and benchmarks (see test/support/kafka-broker.ts).
#
#   bash test/support/kafka/fetch-jars.sh        # prints the libs folder on stdout
#
# Where the jars go:
#   $PLANTLINE_KAFKA_HOME               if set (the jars go straight into it), else
#   <repo>/.cache/kafka-<version>/libs  (<repo>/.cache is git-ignored)
# Version: $PLANTLINE_KAFKA_VERSION, default 3.9.1 (see pom.xml on 4.x and kafkajs 2.2.4).
#
# Idempotent: once a fetch has completed, a marker file .complete-<version> sits in
# the libs folder and the script returns at once. Concurrent callers (node --test
# runs test files in parallel processes) are serialised with flock.
# Needs: bash, mvn, java (17+). Maven's local repository (~/.m2) is used as usual;
# set MAVEN_OPTS=-Dmaven.repo.local=... to use another one.
set -euo pipefail

KAFKA_VERSION="${PLANTLINE_KAFKA_VERSION:-3.9.1}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
libs="${PLANTLINE_KAFKA_HOME:-$repo/.cache/kafka-$KAFKA_VERSION/libs}"
marker="$libs/.complete-$KAFKA_VERSION"

if [[ -f "$marker" ]]; then
  echo "$libs"
  exit 0
fi

for tool in mvn java; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch-jars.sh: '$tool' is not on PATH; it is needed to fetch/run the Kafka broker" >&2
    exit 2
  fi
done

mkdir -p "$(dirname "$libs")"
lock="$(dirname "$libs")/.kafka-$KAFKA_VERSION-fetch.lock"
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 900 9 || { echo "fetch-jars.sh: timed out waiting for $lock" >&2; exit 3; }
fi
# Someone else may have completed the fetch while we waited for the lock.
if [[ -f "$marker" ]]; then
  echo "$libs"
  exit 0
fi

tmp="$(mktemp -d "$(dirname "$libs")/.kafka-$KAFKA_VERSION-fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-jars.sh: fetching Apache Kafka $KAFKA_VERSION broker jars into $libs (Maven Central) ..." >&2
start=$SECONDS
# mvn's output goes to a log that is shown only on failure (stdout carries just the libs path).
if ! mvn -q -B -Dstyle.color=never -f "$here/pom.xml" \
      -Dkafka.version="$KAFKA_VERSION" \
      -DoutputDirectory="$tmp" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies >"$tmp/mvn.log" 2>&1; then
  cat "$tmp/mvn.log" >&2
  echo "fetch-jars.sh: 'mvn dependency:copy-dependencies' failed for org.apache.kafka:kafka_2.13:$KAFKA_VERSION" \
       "(is Maven Central reachable? see the Maven output above)" >&2
  exit 1
fi

# Sanity checks: the broker, the clients and a working log4j binding must be there.
for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-clients-$KAFKA_VERSION.jar" "kafka-raft-$KAFKA_VERSION.jar"; do
  [[ -f "$tmp/$jar" ]] || { echo "fetch-jars.sh: $jar missing after mvn copy-dependencies" >&2; exit 1; }
done
compgen -G "$tmp/slf4j-reload4j-*.jar" >/dev/null && compgen -G "$tmp/reload4j-*.jar" >/dev/null \
  || { echo "fetch-jars.sh: slf4j-reload4j / reload4j missing after mvn copy-dependencies" >&2; exit 1; }

mkdir -p "$libs"
# Drop the jars of an interrupted earlier attempt (only *.jar: $libs may be a folder the user chose).
rm -f "$libs"/*.jar
mv "$tmp"/*.jar "$libs"/
date -u +%FT%TZ > "$marker"
echo "fetch-jars.sh: $(ls "$libs"/*.jar | wc -l) jars in $((SECONDS - start)) s" >&2
echo "$libs"
