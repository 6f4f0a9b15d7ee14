// `npm run migrate`: apply the schema migrations to the configured store and say what was done.
import { loadConfig } from '../lib/config';
import { openStore } from './client';
import { migrate, renderOptions } from './migrate';

async function main() {
  const config = loadConfig();
  // server mode: the database may not exist yet, so connect without one
  const store = await openStore(config, 'admin');
  try {
    const report = await migrate(store, renderOptions(config));
    for (const name of report.applied) console.log(`applied ${name}`);
    console.log(`${report.applied.length} applied, ${report.alreadyApplied.length} already in place (${store.backend}, database ${config.database})`);
  } finally {
    await store.close();
  }
}

main().catch((e) => {
  console.error(`migrate failed: ${(e as Error).message}`);
  process.exit(1);
});
