// The Worker's entry module. It re-exports the Rust Worker and its Durable Object classes
// (src/js/shim.mjs, over the wasm-bindgen output in build/) and answers the documented 500 error
// envelope when the Rust code panics. A panic inside an async handler never settles the
// handler's promise (the request would hang until the runtime cancels it), but the `worker`
// crate's panic hook records it by setting `__worker_init_state.criticalError`: we watch that
// flag and answer every request that was in flight on the aborted instance. The next request runs
// on a fresh instance (shim.mjs).
import RustWorker from "./shim.mjs";
export * from "./shim.mjs";

const HEADERS = {
  "Content-Type": "application/json",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

const inFlight = new Set();

function watchCriticalErrors() {
  const state = globalThis.__worker_init_state;
  if (!state || state.__watched) return;
  let value = state.criticalError;
  Object.defineProperty(state, "criticalError", {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (v) => {
      value = v;
      if (v) {
        for (const abort of inFlight) abort();
        inFlight.clear();
      }
    },
  });
  Object.defineProperty(state, "__watched", { value: true });
}
watchCriticalErrors();

function internalError(cause) {
  const requestId = crypto.randomUUID();
  console.error(JSON.stringify({ event: "panic", request_id: requestId, cause: String(cause?.message ?? cause) }));
  const body = {
    error: { code: "INTERNAL", message: "Something went wrong on our side. Please retry.", request_id: requestId },
  };
  return new Response(JSON.stringify(body), { status: 500, headers: { ...HEADERS, "X-Request-Id": requestId } });
}

export default class Worker extends RustWorker {
  async fetch(request) {
    let abort;
    const aborted = new Promise((resolve) => {
      abort = () => resolve(null);
    });
    inFlight.add(abort);
    try {
      const response = await Promise.race([super.fetch(request), aborted]);
      return response ?? internalError("Rust panic");
    } catch (err) {
      return internalError(err);
    } finally {
      inFlight.delete(abort);
    }
  }
}
