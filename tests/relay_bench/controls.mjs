// Bench-only controls for the realtime relay (tests/relay_bench.rs, issue #16): the platform's
// floor against which the product's relay is measured. Never part of the product's Worker: it has
// its own wrangler config (controls.toml beside this file) and the bench starts it with its own
// `wrangler dev`. Plain JavaScript on purpose: the controls measure what workerd costs (a Worker
// hop, a Durable Object hop, a socket mode), not a language.
//
//   GET /health                    200
//   GET /plain      (upgrade)      (b) a plain Worker relaying frames verbatim to the upstream
//   GET /do/accept  (upgrade)      (c) a Durable Object relaying frames verbatim; both sockets
//                                      accept()ed, read with event listeners
//   GET /do/hibernate (upgrade)    (c') the same DO, the client socket accepted with the
//                                      hibernation API (ctx.acceptWebSocket + webSocketMessage)
//
// The upstream is UPSTREAM_URL with `Authorization: Bearer UPSTREAM_KEY` (the fake OpenAI
// Realtime upstream of tests/common, given with --var by the bench).
import { DurableObject } from "cloudflare:workers";

async function openUpstream(env) {
  const url = env.UPSTREAM_URL.replace(/^ws/, "http");
  const response = await fetch(url, {
    headers: { Upgrade: "websocket", Authorization: `Bearer ${env.UPSTREAM_KEY}` },
  });
  const ws = response.webSocket;
  if (!ws) throw new Error(`upstream refused the upgrade: ${response.status}`);
  ws.accept();
  return ws;
}

function forward(from, to) {
  from.addEventListener("message", (event) => {
    try {
      to.send(event.data);
    } catch {}
  });
  const close = () => {
    try {
      to.close(1000, "peer closed");
    } catch {}
  };
  from.addEventListener("close", close);
  from.addEventListener("error", close);
}

function upgraded(request) {
  return (request.headers.get("Upgrade") || "").toLowerCase() === "websocket";
}

export class EchoDo extends DurableObject {
  async fetch(request) {
    const mode = new URL(request.url).pathname.endsWith("/hibernate") ? "hibernate" : "accept";
    const [client, server] = Object.values(new WebSocketPair());
    const upstream = await openUpstream(this.env);
    this.upstream = upstream;
    if (mode === "hibernate") {
      this.ctx.acceptWebSocket(server);
      upstream.addEventListener("message", (event) => {
        for (const ws of this.ctx.getWebSockets()) {
          try {
            ws.send(event.data);
          } catch {}
        }
      });
      upstream.addEventListener("close", () => {
        for (const ws of this.ctx.getWebSockets()) ws.close(1000, "upstream closed");
      });
    } else {
      server.accept();
      forward(server, upstream);
      forward(upstream, server);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(_ws, message) {
    try {
      this.upstream.send(message);
    } catch {}
  }

  webSocketClose() {
    try {
      this.upstream?.close(1000, "client closed");
    } catch {}
  }
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/health") return new Response("ok");
    if (!upgraded(request)) return new Response("expected a WebSocket upgrade", { status: 426 });
    if (path === "/plain") {
      const [client, server] = Object.values(new WebSocketPair());
      const upstream = await openUpstream(env);
      server.accept();
      forward(server, upstream);
      forward(upstream, server);
      return new Response(null, { status: 101, webSocket: client });
    }
    if (path === "/do/accept" || path === "/do/hibernate") {
      return env.ECHO.get(env.ECHO.newUniqueId()).fetch(request);
    }
    return new Response("not found", { status: 404 });
  },
};
