#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// Serves the exported web app with a fallback to index.html, so that expo-router's client-side
// routes (/login, /!room:server …) load on a reload too.
//   node scripts/serve-web.mjs [--dir dist] [--port 8081] [--host localhost]
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Starts the server; resolves { url, close() }. */
export async function serveWeb({
  dir = join(appDir, 'dist'),
  port = 8081,
  host = 'localhost',
  log = false,
} = {}) {
  const root = resolve(appDir, dir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`No web build in ${root}: run \`npm run build:web -w app\` first.`);
  }
  const app = Fastify({ logger: log });
  await app.register(fastifyStatic, { root, wildcard: false, index: ['index.html'] });
  app.setNotFoundHandler((request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply.code(404).send();
    // Hashed bundles and assets that are missing are real 404s; every other path is a route.
    if (request.url.startsWith('/_expo/') || request.url.startsWith('/assets/'))
      return reply.code(404).send();
    return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
  });
  await app.listen({ port, host });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return { url: `http://${host}:${actualPort}`, close: () => app.close() };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = Number(value('--port') ?? process.env.PORT ?? 8081);
  serveWeb({ dir: value('--dir'), port, host: value('--host') ?? 'localhost' })
    .then(({ url, close }) => {
      console.log(`[app] ClawChat web is at ${url}`);
      const stop = () => close().finally(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((error) => {
      console.error(error.message ?? error);
      process.exit(1);
    });
}
