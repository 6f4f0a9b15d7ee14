// Server mode (CLICKHOUSE_URL): the crash-safety case of crash-safety.test.ts, its ingest processes
// inserting into a ClickHouse server over HTTP (test/support/clickhouse-server.ts) instead of the
// embedded engine.
import { onClickHouseServer } from './support/on-server';

onClickHouseServer(() => require('./crash-safety.test'));
