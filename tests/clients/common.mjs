// Shared by the Node client scripts (tests/realtime_clients.rs): a TLS front for the local
// server, the answers, and the output files.
//
// The Node `openai` SDK always connects with `wss:` (it rewrites the base URL's scheme), as a
// deployed interview would be served. Locally, `wrangler dev` speaks plain HTTP, so the script
// serves TLS itself on a loopback port (a self-signed certificate the test made, trusted through
// NODE_EXTRA_CA_CERTS) and pipes every connection to the server: the client under test is
// configured with nothing but the https base URL and the ticket.
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

/** Starts the TLS front for `target` (an http URL); resolves to its https origin. */
export async function tlsFront(target) {
  const { hostname, port } = new URL(target);
  const server = tls.createServer(
    { key: readFileSync(process.env.TLS_KEY), cert: readFileSync(process.env.TLS_CERT) },
    (socket) => {
      const upstream = net.connect(Number(port), hostname);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end);
      upstream.on('error', end);
      socket.on('close', end);
      upstream.on('close', end);
    },
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `https://localhost:${server.address().port}`;
}

export function answerText(n) {
  return `Answer ${n}: I would profile first, then memoize the expensive parts and keep state local.`;
}

/** A user text item, as a developer would create it. */
export function userItem(text) {
  return { type: 'message', role: 'user', content: [{ type: 'input_text', text }] };
}

/** Writes the received events (JSON lines) and prints the summary. */
export function finish(outPath, received, summary) {
  writeFileSync(outPath, received.map((e) => JSON.stringify(e)).join('\n') + '\n');
  console.log(JSON.stringify(summary));
}

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
