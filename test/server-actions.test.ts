// Server mode (CLICKHOUSE_URL) with the same SQL: every case of actions.test.ts run again on a ClickHouse
// server over HTTP (test/support/clickhouse-server.ts) instead of the embedded engine.
import { onClickHouseServer } from './support/on-server';

onClickHouseServer(() => require('./actions.test'));
