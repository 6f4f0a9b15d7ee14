// `npm start`: build the app when there is no build for the current sources, then run the embedded server.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from './server';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

const buildId = path.join(process.cwd(), '.next', 'BUILD_ID');
// everything the pages import (the store client and the ingest pieces the admin and replay routes use
// among it), and what shapes the build itself
const sources = ['app', 'components', 'queries', 'lib', 'clickhouse', 'ingest', 'next.config.ts', 'tsconfig.json', 'package-lock.json'].filter((d) => fs.existsSync(d));
const newest = (p: string) => (fs.statSync(p).isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
const stale = !fs.existsSync(buildId) || sources.some((d) => newest(d) > fs.statSync(buildId).mtimeMs);
if (stale) {
  console.log('Plantline: building the web app (next build), once per change of its sources…');
  execFileSync(process.execPath, [require.resolve('next/dist/bin/next'), 'build'], { stdio: 'inherit' });
}

startServer().catch((e) => {
  console.error(`Plantline failed to start: ${(e as Error).message}`);
  process.exit(1);
});
