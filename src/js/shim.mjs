// The Rust Worker as Workers entry points. scripts/build runs the wasm-bindgen CLI (`--target
// module`), which writes build/index.js: the bindings, with the wasm instantiated at import, one
// function per `#[event]` handler (fetch, scheduled, queue) taking (event, env, ctx), and one
// class per `#[durable_object]`. This module turns those into what the runtime calls: a
// WorkerEntrypoint whose handlers pass `this.env` and `this.ctx`, and the Durable Object classes.
//
// Recovery after a critical error (a Rust panic aborts the wasm instance, or a trap):
// the `worker` crate's panic hook sets `criticalError` on its init state (the object also at
// `globalThis.__worker_init_state`, which src/js/entry.mjs watches to answer the requests in
// flight), and a `WebAssembly.RuntimeError` seen here sets it too. The next call into Rust then
// replaces the wasm instance (`__wbg_reset_state`, made by wasm-bindgen's
// `--experimental-reset-state-function`) and bumps `instanceId`; each Durable Object rebuilds its
// Rust object (same state and env) the first time it is used on a new instance.
import { WorkerEntrypoint } from "cloudflare:workers";
import * as rust from "../../build/index.js";

Error.stackTraceLimit = 100;

const initState = rust.__worker_init_state();

function markCritical(err) {
  if (err instanceof WebAssembly.RuntimeError) {
    console.error("critical wasm error", err);
    initState.criticalError = true;
  }
}

function freshInstance() {
  if (!initState.criticalError) return;
  console.log("replacing the wasm instance after a critical error");
  rust.__wbg_reset_state();
  initState.criticalError = false;
  initState.instanceId += 1;
}

addEventListener("error", (event) => markCritical(event.error));

async function guarded(call) {
  try {
    return await call();
  } catch (err) {
    markCritical(err);
    throw err;
  }
}

// The Worker: one method per handler the wasm exports.
export default class RustWorker extends WorkerEntrypoint {}
for (const handler of ["fetch", "scheduled", "queue"]) {
  if (typeof rust[handler] !== "function") continue;
  RustWorker.prototype[handler] = function (event) {
    freshInstance();
    return guarded(() => rust[handler](event, this.env, this.ctx));
  };
}

// A Durable Object class around a wasm-bindgen class: the runtime constructs it with (state, env)
// and calls fetch, alarm and the WebSocket hibernation handlers on it; each call goes to the Rust
// object of the current wasm instance.
const RUST = Symbol("rust object");

function rustObject(shim, RustClass) {
  freshInstance();
  const held = shim[RUST];
  if (held.instanceId !== initState.instanceId) {
    try {
      held.object = new RustClass(...held.args);
    } catch (err) {
      initState.criticalError = true;
      throw err;
    }
    held.instanceId = initState.instanceId;
  }
  return held.object;
}

function durableObject(RustClass) {
  class DurableObjectShim {
    constructor(...args) {
      this[RUST] = { args, object: null, instanceId: -1 };
      rustObject(this, RustClass);
    }
  }
  Object.defineProperty(DurableObjectShim, "name", { value: RustClass.name });
  for (const name of Object.getOwnPropertyNames(RustClass.prototype)) {
    const { value } = Object.getOwnPropertyDescriptor(RustClass.prototype, name);
    if (name === "constructor" || name === "free" || name.startsWith("__") || typeof value !== "function") {
      continue;
    }
    DurableObjectShim.prototype[name] = function (...args) {
      const object = rustObject(this, RustClass);
      return guarded(() => object[name](...args));
    };
  }
  return DurableObjectShim;
}

// Every `#[durable_object]` in the crate, named as in wrangler.toml's bindings.
export const InterviewDo = durableObject(rust.InterviewDo);
export const LimiterDo = durableObject(rust.LimiterDo);
