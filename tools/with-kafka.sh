#!/usr/bin/env bash
# Runs a command with a Kafka broker: KYMAROS_KAFKA_BROKERS when set, otherwise the local one,
# started here if needed and stopped afterwards (also when the command fails) if we started it.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
started=0
if [ -z "${KYMAROS_KAFKA_BROKERS:-}" ]; then
  if ! "$here/kafka/kafka.sh" status 2>/dev/null; then
    "$here/kafka/kafka.sh" up || exit 1
    started=1
  fi
  export KYMAROS_KAFKA_BROKERS=127.0.0.1:${KAFKA_PORT:-9092}
fi
stop() { [ "$started" = 1 ] && "$here/kafka/kafka.sh" down; }
trap stop EXIT
trap 'exit 130' INT TERM
"$@"
