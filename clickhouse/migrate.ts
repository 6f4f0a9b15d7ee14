// Schema migrations: numbered .sql files in clickhouse/migrations, rendered for the target (single node
// or cluster) and applied in order, once each. Every statement is idempotent (IF NOT EXISTS), so a run
// that died half-way is simply run again.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { command, insertRows, openStore, queryRows, sql, type Store } from './client';
import type { Config } from '../lib/config';

// npm scripts, tests and the server all run from the project root
export const MIGRATIONS_DIR = path.resolve(process.cwd(), 'clickhouse', 'migrations');

export type Migration = { version: number; name: string; text: string; checksum: string };

export type RenderOptions = {
  database: string;
  /** Cluster name: DDL gets ON CLUSTER and MergeTree engines become Replicated*. */
  cluster?: string;
  postingsTtlDays: number;
  spansTtlDays: number;
  rejectsTtlDays: number;
};

export function renderOptions(config: Config): RenderOptions {
  return {
    database: config.database,
    cluster: config.store.kind === 'server' ? config.store.cluster : undefined,
    postingsTtlDays: config.retention.postingsDays,
    spansTtlDays: config.retention.spansDays,
    rejectsTtlDays: config.retention.rejectsDays,
  };
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 3)),
        name: file.replace(/\.sql$/, ''),
        text,
        checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
      };
    });
}

/** Turn a migration's template into the statements to run. Placeholders are identifiers and numbers, never user values. */
export function renderStatements(text: string, opts: RenderOptions): string[] {
  const onCluster = opts.cluster ? `ON CLUSTER '${opts.cluster}'` : '';
  const rendered = text
    .replace(/\{\{db\}\}/g, opts.database)
    .replace(/\{\{on_cluster\}\}/g, onCluster)
    .replace(/\{\{postings_ttl_days\}\}/g, String(opts.postingsTtlDays))
    .replace(/\{\{spans_ttl_days\}\}/g, String(opts.spansTtlDays))
    .replace(/\{\{rejects_ttl_days\}\}/g, String(opts.rejectsTtlDays))
    // {{engine:ReplacingMergeTree}} or {{engine:ReplacingMergeTree(version_column)}}
    .replace(/\{\{engine:([A-Za-z]*MergeTree)(?:\(([^)]*)\))?\}\}/g, (_m, engine: string, args?: string) =>
      opts.cluster
        ? `Replicated${engine}('/clickhouse/tables/{shard}/{database}/{table}', '{replica}'${args ? `, ${args}` : ''})`
        : args
          ? `${engine}(${args})`
          : engine,
    )
    // replicated tables deduplicate inserts through Keeper with their own window setting
    .replace(/non_replicated_deduplication_window/g, opts.cluster ? 'replicated_deduplication_window' : 'non_replicated_deduplication_window');
  const leftover = rendered.match(/\{\{[^}]*\}\}/);
  if (leftover) throw new Error(`migration template has an unknown placeholder ${leftover[0]}`);
  return rendered
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

export function migrationsTableDdl(opts: RenderOptions): string {
  const onCluster = opts.cluster ? ` ON CLUSTER '${opts.cluster}'` : '';
  const engine = opts.cluster
    ? `ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')`
    : 'ReplacingMergeTree';
  return `CREATE TABLE IF NOT EXISTS ${opts.database}.schema_migrations${onCluster}
(version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
ENGINE = ${engine} ORDER BY version`;
}

export type MigrationReport = { applied: string[]; alreadyApplied: string[] };

/** Apply every migration not yet recorded in schema_migrations. `store` must be able to create the database. */
export async function migrate(store: Store, opts: RenderOptions, migrations = loadMigrations()): Promise<MigrationReport> {
  const onCluster = opts.cluster ? ` ON CLUSTER '${opts.cluster}'` : '';
  await command(store, `CREATE DATABASE IF NOT EXISTS ${opts.database}${onCluster}`);
  await command(store, migrationsTableDdl(opts));
  const done = await queryRows<{ version: number }>(
    store,
    'migrate',
    sql`SELECT DISTINCT version FROM ${rawTable(opts.database, 'schema_migrations')}`,
  );
  const doneSet = new Set(done.map((r) => Number(r.version)));
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  for (const m of migrations) {
    if (doneSet.has(m.version)) {
      report.alreadyApplied.push(m.name);
      continue;
    }
    for (const statement of renderStatements(m.text, opts)) await command(store, statement);
    const row = { version: m.version, name: m.name, checksum: m.checksum, applied_at: new Date().toISOString().replace('T', ' ').replace('Z', '') };
    await insertRows(store, `${opts.database}.schema_migrations`, null, JSON.stringify(row) + '\n', `migration-${m.version}-${m.checksum}`);
    report.applied.push(m.name);
  }
  return report;
}

function rawTable(database: string, table: string) {
  // identifiers from config, checked by loadConfig; not a value
  return { query: `${database}.${table}`, params: {} };
}

/**
 * Server mode: migrate through a connection that names no database, since the database may not exist
 * yet (the migrations create it); the processes' own connections name it.
 */
export async function migrateServer(config: Config): Promise<MigrationReport> {
  const admin = await openStore(config, 'admin');
  try {
    return await migrate(admin, renderOptions(config));
  } finally {
    await admin.close();
  }
}
