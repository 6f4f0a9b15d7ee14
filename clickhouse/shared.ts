// The read connection that pages and /api/v1 routes use. The embedded server registers its own
// (chDB allows one engine per process, and reads get a connection apart from ingest's writes);
// a web process in server mode opens one from the environment.
import { loadConfig } from '../lib/config';
import { openStore, type Store } from './client';

const registry = globalThis as typeof globalThis & { __plantlineReadStore?: Promise<Store> };

export function registerReadStore(store: Store) {
  registry.__plantlineReadStore = Promise.resolve(store);
}

export function getReadStore(): Promise<Store> {
  registry.__plantlineReadStore ??= openStore(loadConfig(), 'read');
  return registry.__plantlineReadStore;
}
