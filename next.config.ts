import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // Native and Node-only packages stay out of the bundle: chDB is a native addon and a process
  // singleton, so the app must share the server's instance rather than bundle its own copy.
  serverExternalPackages: ['chdb', '@clickhouse/client', 'kafkajs', 'protobufjs'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
